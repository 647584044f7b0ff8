"""The patient's recovery, as pure rules over the plan: the timeline (weeks, phases,
milestones), spoken dates, daily targets, the weekly summary and the sentences built from them."""
