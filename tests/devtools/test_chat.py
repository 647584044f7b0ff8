"""`spine-coach chat` as a real process: typed lines in, Alexa's answers out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from skill.coach_audio.manifest import load_manifest
from tests import clock_shift
from tests.conftest import TEST_SECRET_KEY

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.slow]

CHAT = [sys.executable, "-c", "from skill.cli import main; main()", "chat"]


def run_chat(
    lines: list[str],
    tmp_path: Path,
    audio: Path,
    *extra: str,
    path: str | None = None,
    today: date | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `spine-coach chat` on these typed lines; its virtual clock starts on `today`, or on
    the day this test process sees (moved ahead in the clock-shift runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINE_COACH_")}
    env.update(
        SPINE_COACH_DATABASE_URL=f"sqlite:///{tmp_path / 'chat.sqlite3'}",
        SPINE_COACH_AUDIO_DIR=str(audio),
        SPINE_COACH_SECRET_KEY=TEST_SECRET_KEY,
    )
    if path is not None:
        env["PATH"] = path
    result = subprocess.run(
        [*CHAT, "--today", (today or clock_shift.today()).isoformat(), *extra],
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def chat(
    lines: list[str],
    tmp_path: Path,
    audio: Path,
    *extra: str,
    path: str | None = None,
    today: date | None = None,
) -> str:
    """What the terminal shows of the conversation (standard output)."""
    return run_chat(lines, tmp_path, audio, *extra, path=path, today=today).stdout


def test_a_conversation_in_the_terminal_with_a_set_paused_and_resumed(
    tmp_path: Path, built_audio: Path
) -> None:
    out = chat(
        [
            "open spine coach",
            "my surgery was october twenty first",
            "yes",
            "can I drive yet",
            "ask spine coach to start my bridges",
            "pause after 75 seconds",
            "/day",
            "resume",
            "/listen 600",
            "how many have I done today",
            "/quit",
        ],
        tmp_path,
        built_audio,
        today=date(2026, 11, 20),  # the surgery was four weeks and two days ago
    )
    assert "alexa> Hi, I'm Spine Coach." in out
    assert "(heard SetSurgeryDateIntent surgeryDate=XXXX-10-21)" in out
    assert "alexa> Not yet. From Wednesday, December 2" in out  # week 6
    assert "[playing bridges at a normal pace, from 0:00 of" in out
    assert "(heard AMAZON.PauseIntent)" in out
    assert "[stopped]" in out
    resumed = out.split("(heard AMAZON.ResumeIntent)")[1]
    assert "alexa> Back to your bridges, from repetition" in resumed
    found = re.search(r"\[playing bridges at a normal pace, from (\d+):(\d\d) of", resumed)
    assert found is not None
    manifest = load_manifest(built_audio)
    assert manifest is not None
    track = manifest.track("en-US", "bridges", "normal")
    assert track is not None
    starts = {span.start_ms // 1000 for span in track.repetitions if span.repetition > 1}
    assert int(found[1]) * 60 + int(found[2]) in starts  # the start of the interrupted one
    assert "bridges, 1 of 3" in out
    assert "<" not in out.replace("you> ", "")  # no SSML tags


def test_speak_reads_answers_aloud_with_espeak(tmp_path: Path, built_audio: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    said = tmp_path / "said.txt"
    fake = bin_dir / "espeak-ng"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {said}\n')
    fake.chmod(0o755)
    chat(
        ["open spine coach", "/quit"],
        tmp_path,
        built_audio,
        "--speak",
        path=f"{bin_dir}:{os.environ['PATH']}",
    )
    spoken = said.read_text()
    assert spoken.startswith("-v en-us Hi, I'm Spine Coach.")
    assert "When was your surgery?" in spoken


def test_unknown_commands_show_the_help(tmp_path: Path, built_audio: Path) -> None:
    out = chat(["/what", "/quit"], tmp_path, built_audio)
    assert out.count("/listen SECONDS") == 2  # at start, and for the unknown command


def test_the_virtual_clock_starts_on_the_day_given(tmp_path: Path, built_audio: Path) -> None:
    out = chat(
        ["open spine coach", "my surgery was october twenty first", "yes", "/quit"],
        tmp_path,
        built_audio,
        today=date(2027, 1, 15),
    )
    # Said in January, "october twenty first" is the one just past, in the year before.
    assert "(heard SetSurgeryDateIntent surgeryDate=XXXX-10-21)" in out
    assert "alexa> So your surgery was on Wednesday, October 21." in out  # 2026's, a Wednesday
    assert "It's been 12 weeks and 2 days since your surgery." in out


def test_a_surgery_three_weeks_before_today_is_in_week_3_on_any_day(
    tmp_path: Path, built_audio: Path
) -> None:
    surgery = clock_shift.today() - timedelta(weeks=3)
    spoken = f"{surgery:%B} {surgery.day}"  # "november 12": heard as a date without a year
    out = chat(
        ["open spine coach", f"my surgery was {spoken}", "yes", "can I drive yet", "/quit"],
        tmp_path,
        built_audio,
    )
    assert f"surgeryDate=XXXX-{surgery:%m-%d}" in out
    week_6 = surgery + timedelta(weeks=6)
    assert f"alexa> Not yet. From {week_6:%A, %B} {week_6.day}," in out


def test_the_terminal_shows_the_conversation_without_log_chatter(
    tmp_path: Path, built_audio: Path
) -> None:
    result = run_chat(["open spine coach", "/quit"], tmp_path, built_audio)
    assert "alexa> Hi, I'm Spine Coach." in result.stdout
    assert "POST /alexa" not in result.stderr  # access lines
    assert "alembic" not in result.stderr  # the migration run when the database is new
    assert "REQUEST VERIFICATION IS OFF" in result.stderr  # warnings still show


# Words an English answer can hardly do without, and Dutch never uses.
ENGLISH = re.compile(r"\b(the|you|your|and|it|of|to|what|sorry|anything|welcome|when)\b", re.I)


def test_a_dutch_conversation_with_a_set_paused_and_finished_the_next_day(
    tmp_path: Path, built_audio: Path
) -> None:
    # The audio folder has en-US only: the Dutch set is spoken, never an English clip.
    out = chat(
        [
            "open rug coach",
            "mijn operatie was op eenentwintig oktober",
            "ja",
            "mag ik al autorijden",
            "vraag rug coach om mijn bruggetjes te starten",
            "pauze",
            "/day",
            "open rug coach",
            "ja",
            "/quit",
        ],
        tmp_path,
        built_audio,
        "--locale",
        "nl-NL",
        today=date(2026, 11, 20),
    )
    assert "alexa> Hallo, ik ben Rug Coach." in out
    assert "(heard SetSurgeryDateIntent surgeryDate=XXXX-10-21)" in out
    assert "alexa> Uw operatie was dus op woensdag 21 oktober. Klopt dat?" in out
    assert "alexa> Nog niet. Vanaf woensdag 2 december" in out  # week 6
    assert "(heard StartExerciseIntent exercise=bruggetjes)" in out
    assert "(heard AMAZON.PauseIntent)" in out
    stopped = re.search(r"alexa> U stopte bij herhaling (\d+) van bruggetjes\.", out)
    assert stopped is not None
    assert f"alexa> Verder met bruggetjes, vanaf herhaling {stopped[1]}." in out
    answers = [line for line in out.splitlines() if line.startswith("alexa> ")]
    assert len(answers) == 8
    assert not [answer for answer in answers if ENGLISH.search(answer)]
    assert "[playing" not in out  # no track: nl-NL audio was not built


def test_reminders_asked_for_allowed_and_going_off_in_the_terminal(
    tmp_path: Path, built_audio: Path
) -> None:
    out = chat(
        [
            "open spine coach",
            "my surgery was three weeks ago",
            "yes",
            "remind me to do my exercises",
            "yes",
            "/listen 3600",
            "/day",
            "/quit",
        ],
        tmp_path,
        built_audio,
        "--time-zone",
        "Europe/Amsterdam",
        today=date(2026, 11, 20),  # from 10:00 in Amsterdam
    )
    assert "(heard SetRemindersIntent)" in out
    assert (
        "alexa (her own question)> Do you give Spine Coach permission to set reminders? "
        "You can say 'I approve' or 'no'."
    ) in out
    assert "(Alexa tells the skill: ACCEPTED)" in out
    assert "alexa> Done. I'll remind you every day, every hour" in out
    hour, day = out.split("you> /listen 3600")[1].split("you> /day")
    assert "Reminder: Time for knee presses (Fri 11:00)" in hour
    assert hour.count("Reminder:") == 1
    shown = [line for line in day.splitlines() if line.startswith("Reminder:")]
    assert shown[:3] == [
        "Reminder: Time for knee presses (Fri 12:00)",
        "Reminder: Time for knee presses (Fri 13:00)",
        "Reminder: Time for your exercises (Fri 14:00)",  # lifts and bridges too
    ]
    # From 11:00 a day on: 12:00 to 21:00, then 08:00 to 11:00 the next morning; five shown.
    assert len(shown) == 6
    assert shown[5] == "Reminder: … and 9 more"


def test_a_dutch_echo_asks_and_reminds_in_dutch(tmp_path: Path, built_audio: Path) -> None:
    out = chat(
        [
            "open rug coach",
            "mijn operatie was drie weken geleden",
            "ja",
            "herinner mij aan mijn oefeningen",
            "ja",
            "/listen 3600",
            "/quit",
        ],
        tmp_path,
        built_audio,
        "--locale",
        "nl-NL",
        "--time-zone",
        "Europe/Amsterdam",
        today=date(2026, 11, 20),
    )
    assert "alexa (her own question)> Geeft u Rug Coach toestemming" in out
    assert "(Alexa tells the skill: ACCEPTED)" in out
    assert re.search(r"^Herinnering: .+ \(Fri 11:00\)$", out, re.MULTILINE), out
