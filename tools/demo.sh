#!/usr/bin/env bash
# `make demo`: generate synthetic sample data, install the Meltano plugins, and run the daily
# pipeline (ingest, canonize, score, projections, local copies) into the embedded DuckDB.
# Usage: tools/demo.sh BIN_DIR HOME_DIR DATA_DIR
set -euo pipefail
BIN="$1"
export LORCHESTRA_HOME="$2"
export LORCHESTRA_SAMPLE_DATA="$3"
umask 077

if [ ! -f "$LORCHESTRA_SAMPLE_DATA/manifest.json" ]; then
    # The practice's history runs up to the end of today (UTC), so this week's reports have
    # something in them whatever day the demo first runs; later runs reuse the same data.
    anchor="$("$BIN/python" -c 'import datetime as d; print(d.datetime.now(d.UTC).date() + d.timedelta(days=1))')"
    "$BIN/lorchestra-sample-data" "$LORCHESTRA_SAMPLE_DATA" --seed 7 --size 300 --anchor "$anchor" -q
fi
echo "Installing the Meltano plugins (first run only takes a few seconds)..."
"$BIN/python" -c "import ingestor; ingestor.install_project()"

"$BIN/lorchestra" init
"$BIN/lorchestra" run daily

echo
"$BIN/lorchestra" stats raw
"$BIN/lorchestra" stats canonical
echo
echo "Data home:    $LORCHESTRA_HOME"
echo "Warehouse:    $LORCHESTRA_HOME/lorchestra.duckdb"
echo "Local SQLite: $LORCHESTRA_HOME/local.db"
echo "Local views:  $LORCHESTRA_HOME/local_views/ (one markdown file per client and per session)"
echo "Dashboard:    $LORCHESTRA_HOME/dashboard/index.html (job runs, failures, data checks; metrics in metrics/lorchestra.prom)"
echo "Reports:      $(ls -d "$LORCHESTRA_HOME"/reports/*/ 2>/dev/null | tail -1) (HTML and PDF per client, practice summary)"
echo "Try:        LORCHESTRA_HOME=$LORCHESTRA_HOME $BIN/lorchestra runs list"
echo "            LORCHESTRA_HOME=$LORCHESTRA_HOME $BIN/lorchestra sql \\"
echo "              \"SELECT instrument_id, band, COUNT(*) AS n FROM measurement_events GROUP BY 1, 2\""
