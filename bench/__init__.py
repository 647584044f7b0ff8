"""`python -m bench`: Spine Coach against a bare ask-sdk-core skill, both served by gunicorn.

One job per module: `hello_skill` and `spine_app` are the two WSGI apps, `fixtures` prepares the
PKI and database, `server` runs gunicorn, `load` drives wrk, `scenarios` lists what is measured
and `report` prints the table and writes `bench/results.json`.
"""
