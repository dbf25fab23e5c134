"""The desk: read-only web pages over the ledger, served by the daemon.

`/` lists the incidents, `/incidents/{id}` shows one incident's ledger, timeline and
alerts, `/articles/{id}` an article with each sentence's incident and claims marked and
its revisions as a diff, `/alerts` the alerts with filters; `/api/...` serves the same
data in the shapes of the CLI's `--json` (`monitor.views`), described at
`/api/openapi.json`.

Why FastAPI (on Starlette) with Jinja2, served by uvicorn: the pages and their JSON twins
are one set of typed routes, and FastAPI writes the OpenAPI document from them, which
Starlette alone would leave to us; Jinja2 escapes every value by default (autoescape),
which matters because article text is written by outlets we do not control; uvicorn runs
in a thread of the daemon on a socket we bind first, so a taken port stops the start.
The pages are plain HTML with one stylesheet and no JavaScript, and a Content Security
Policy allows no script at all: an injected `<script>` that escaping somehow missed
would still not run.
"""
