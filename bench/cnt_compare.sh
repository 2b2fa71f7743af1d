#!/usr/bin/env bash
# lockstep vs coordination-network-toolkit (CNT 1.5.2, PyPI) on identical co-retweet / co-link
# data: wall time, peak memory, and whether the undirected edge sets are identical.
#
#   bench/cnt_compare.sh [SIZE...]            # default: 100000 1000000 (+3000000, see TRY_3M)
#
# Environment (defaults): WORK=/tmp/lockstep-cnt-bench  WINDOW=60  SEED=7
#   MODES="co_retweet co_link"  CPUS=2 (CNT --n_cpus and lockstep --threads)
#   TRY_3M=1   add 3,000,000 for a mode when CNT's end-to-end time at 1,000,000 was < 600 s
#   LS_DEFAULT_CAP=1   also run lockstep with its default --max-crowd (the work bound; its
#                      value is read from `detect --help`) and report how many pairs that drops
# Equivalent settings: CNT `compute MODE --time_window W --min_edge_weight 1`, export without
# self-loops; lockstep `detect --layers repost|url --window W --fdr off --min-co-actions 1
# --min-cluster-size 2 --max-crowd 4294967295` (no work bound, so every pair is examined).
# Before every timed step it waits (poll 20 s, up to 20 min) until no other heavy process
# runs (lockstep bench/detect/demo, cargo, rustc, compute_networks).
# Outputs: table on stdout and in $WORK/table.md; raw per-run logs under $WORK/runs/.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LS=$ROOT/target/release/lockstep
WORK=${WORK:-/tmp/lockstep-cnt-bench}
WINDOW=${WINDOW:-60}
SEED=${SEED:-7}
MODES=${MODES:-co_retweet co_link}
CPUS=${CPUS:-2}
TRY_3M=${TRY_3M:-1}
LS_DEFAULT_CAP=${LS_DEFAULT_CAP:-1}
VENV=$BENCH/.venv
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(100000 1000000); fi
mkdir -p "$WORK/runs"
RES=$WORK/results.tsv
: > "$RES"

[ -x "$LS" ] || (cd "$ROOT" && cargo build --release)
# Freeze the binary under test (a concurrent `cargo build` must not swap it mid-run).
cp "$LS" "$WORK/lockstep-under-test"
echo "binary: $LS sha256 $(sha256sum "$LS" | cut -c1-16) built $(date -u -r "$LS" +%FT%TZ);" \
     "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo ' +uncommitted changes in crates/')"
LS=$WORK/lockstep-under-test
DEFCAP=$("$LS" detect --help | sed -n '/--max-crowd/,/default:/s/.*\[default: \([0-9]*\)\].*/\1/p' | head -1)
if [ ! -x "$VENV/bin/compute_networks" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q coordination-network-toolkit==1.5.2
fi

busy() {  # another heavy process running? (our own timed command is excluded by pid)
  local p
  for p in $(pgrep -f 'lockstep[ ](bench|detect|demo)|bin/compute_network[s]' || true) $(pgrep -x 'cargo|rustc' || true); do
    [ -n "${MINE:-}" ] && { [ "$p" = "$MINE" ] || pstree_has "$MINE" "$p"; } && continue
    return 0
  done
  return 1
}
pstree_has() {  # is pid $2 a descendant of pid $1?
  local q=$2
  while [ -n "$q" ] && [ "$q" -gt 1 ]; do
    [ "$q" = "$1" ] && return 0
    q=$(ps -o ppid= -p "$q" 2>/dev/null | tr -d ' ')
  done
  return 1
}
wait_idle() {
  local i
  for i in $(seq 1 60); do
    busy || return 0
    [ "$i" = 1 ] && echo "  (waiting for other heavy processes to finish...)" >&2
    sleep 20
  done
  echo "  WARNING: machine still busy after 20 min; timing anyway" >&2
}

# tv LOG CMD... : run under /usr/bin/time -v (output to LOG.stdout, timing to LOG.time).
# A watcher polls every second; if another heavy process ran meanwhile the timing is
# discarded and the step repeated (up to 3 tries, then kept and marked in LOG.contended).
# $PRE, if set, is eval'ed (untimed) before every try, to reset state a try changed.
tv() {
  local log=$1 try; shift
  for try in 1 2 3; do
    wait_idle
    [ -n "${PRE:-}" ] && eval "$PRE"
    rm -f "$log.contended"
    /usr/bin/time -v -o "$log.time" "$@" >"$log.stdout" 2>&1 &
    local pid=$!
    ( MINE=$pid; while kill -0 "$pid" 2>/dev/null; do busy && { touch "$log.contended"; break; }; sleep 1; done ) &
    local watcher=$!
    wait "$pid" || { echo "FAILED: $* (see $log.stdout)" >&2; wait "$watcher" || true; return 1; }
    wait "$watcher" || true
    [ -e "$log.contended" ] || return 0
    echo "  (another heavy process ran during $(basename "$log"); repeating)" >&2
  done
  echo "  WARNING: $(basename "$log") timed while the machine was busy" >&2
}
wall() {  # seconds from /usr/bin/time's "Elapsed (wall clock) time (h:mm:ss or m:ss): ..."
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.2f", s}' "$1.time"
}
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1.time"; }
sweep_s() {  # the "sweep" row of detect's stage table: "sweep  <seconds>  <items/s>"
  awk -F'┆' '$1 ~ /^│ *sweep *$/ {gsub(/ /, "", $2); print $2; exit}' "$1.stdout"
}
stages() {  # "read/sweep/significance/cluster/write" seconds from detect's stage table
  awk -F'┆' '$1 ~ /^│ *(read|sweep|significance|cluster|write) *$/ && $2 ~ /^ *[0-9.]+ *$/ {
    gsub(/ /, "", $2); printf "%s%s", (n++ ? "/" : ""), $2 }' "$1.stdout"
}
maxf() { awk -v a="$1" -v b="$2" 'BEGIN{print (a+0>b+0)?a:b}'; }
sum() { awk 'BEGIN{s=0; for(i=1;i<ARGC;i++) s+=ARGV[i]; printf "%.2f", s}' "$@"; }

run_one() {  # MODE N
  local mode=$1 n=$2 data layer flag tag r
  if [ "$mode" = co_link ]; then layer=url; flag=--urls; tag=url; else layer=repost; flag=; tag=rt; fi
  data=$WORK/${tag}_${n}_s${SEED}.csv
  [ -s "$data" ] || { echo "generating $data"; python3 "$BENCH/gen_coretweet.py" "$n" "$SEED" "$data" $flag; }
  r=$WORK/runs/${mode}_${n}
  echo "== $mode  n=$n  window=${WINDOW}s  ($data)"

  # --- CNT: preprocess, compute, export (each timed) ---
  local db=$WORK/cnt_${mode}_${n}.db
  rm -f "$db" "$db-wal" "$db-shm"
  tv "$r.cnt_pre" "$VENV/bin/compute_networks" "$db" preprocess "$data"
  # CNT's compute builds its indexes first; drop them before every try so a repeated
  # (contended) try does the same work as the first.
  PRE="\"$VENV/bin/python\" -c \"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [c.execute('drop index if exists '+i) for i in ('repost_user_time','repost_time','url_message','user_url')]; c.commit()\" \"$db\"" \
  tv "$r.cnt_comp" "$VENV/bin/compute_networks" "$db" compute "$mode" \
     --time_window "$WINDOW" --min_edge_weight 1 --n_cpus "$CPUS"
  tv "$r.cnt_exp" "$VENV/bin/python" -c \
     "import sys; from coordination_network_toolkit.output import output_gephi_csv as o; o(sys.argv[1], sys.argv[2], sys.argv[3], loops=False)" \
     "$db" "$mode" "$r.cnt_edges.csv"
  local c_pre c_comp c_exp c_tot c_mem
  c_pre=$(wall "$r.cnt_pre"); c_comp=$(wall "$r.cnt_comp"); c_exp=$(wall "$r.cnt_exp")
  c_tot=$(sum "$c_pre" "$c_comp" "$c_exp")
  c_mem=$(maxf "$(maxf "$(rss_mb "$r.cnt_pre")" "$(rss_mb "$r.cnt_comp")")" "$(rss_mb "$r.cnt_exp")")
  rm -f "$db" "$db-wal" "$db-shm"
  echo "   CNT: preprocess ${c_pre}s  compute ${c_comp}s  export ${c_exp}s  total ${c_tot}s  peak ${c_mem} MB"

  # --- lockstep, no work bound (exact) ---
  local common=(--layers "$layer" --window "$WINDOW" --fdr off --min-co-actions 1 --min-cluster-size 2 --threads "$CPUS")
  rm -rf "$r.ls_case"
  tv "$r.ls" "$LS" detect "$data" --out "$r.ls_case" "${common[@]}" --max-crowd 4294967295
  local l_sw l_tot l_mem
  l_sw=$(sweep_s "$r.ls"); l_tot=$(wall "$r.ls"); l_mem=$(rss_mb "$r.ls")
  echo "   lockstep: sweep ${l_sw}s  total ${l_tot}s  peak ${l_mem} MB"
  python3 "$BENCH/compare_edges.py" "$r.cnt_edges.csv" "$r.ls_case/edges.csv" \
      --input "$data" --layer "$layer" --window "$WINDOW" | tee "$r.compare" | sed 's/^/   /'
  local cnt_e ls_e match
  cnt_e=$(sed -n 's/^RESULT cnt=\([0-9]*\).*/\1/p' "$r.compare")
  ls_e=$(sed -n 's/^RESULT .*lockstep=\([0-9]*\).*/\1/p' "$r.compare")
  match=$(sed -n 's/^RESULT .*match=\(.*\)$/\1/p' "$r.compare")

  # --- lockstep with its default work bound (--max-crowd $DEFCAP) ---
  local d_sw=- d_tot=- d_e=- d_mem=-
  if [ "$LS_DEFAULT_CAP" = 1 ]; then
    rm -rf "$r.lsd_case"
    tv "$r.lsd" "$LS" detect "$data" --out "$r.lsd_case" "${common[@]}"
    d_sw=$(sweep_s "$r.lsd"); d_tot=$(wall "$r.lsd"); d_mem=$(rss_mb "$r.lsd")
    python3 "$BENCH/compare_edges.py" "$r.cnt_edges.csv" "$r.lsd_case/edges.csv" > "$r.compare_default"
    d_e=$(sed -n 's/^RESULT .*lockstep=\([0-9]*\).*/\1/p' "$r.compare_default")
    echo "   lockstep default --max-crowd ${DEFCAP}: sweep ${d_sw}s  total ${d_tot}s  pairs ${d_e} ($(head -1 "$r.compare_default"))"
    rm -rf "$r.lsd_case"
  fi
  rm -rf "$r.ls_case/graph.gexf" "$r.ls_case/graph.graphml"
  local busy_steps
  busy_steps=$(cd "$WORK/runs" && ls "${mode}_${n}".*.contended 2>/dev/null | sed "s/^${mode}_${n}\.//; s/\.contended$//" | paste -sd, - || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$mode" "$n" "$c_comp" "$c_tot" "$c_mem" "$l_sw" "$l_tot" "$l_mem" "$cnt_e" "$ls_e" "$match" \
    "$d_sw" "$d_tot" "$d_e" "$c_pre/$c_comp/$c_exp" "$(stages "$r.ls")" "${busy_steps:-none}" >> "$RES"
  LAST_CNT_TOTAL=$c_tot
}

echo "$("$LS" --version 2>/dev/null || true); CNT $("$VENV/bin/pip" show coordination-network-toolkit | sed -n 's/^Version: //p'); $(nproc) cores; window ${WINDOW}s; seed $SEED"
for mode in $MODES; do
  LAST_CNT_TOTAL=0
  for n in "${SIZES[@]}"; do run_one "$mode" "$n"; done
  if [ "$TRY_3M" = 1 ] && [ $# -eq 0 ]; then
    if awk -v t="$LAST_CNT_TOTAL" 'BEGIN{exit !(t > 0 && t < 600)}'; then
      run_one "$mode" 3000000
    else
      echo "== $mode n=3000000 skipped: CNT took ${LAST_CNT_TOTAL}s end-to-end at the largest size (>= 600 s)"
    fi
  fi
done

{
  echo "| network | messages | CNT compute s | CNT total s | CNT peak MB | lockstep sweep s | lockstep total s | lockstep peak MB | speed-up compute/sweep | speed-up total/total | undirected edges CNT / lockstep | match | lockstep default --max-crowd ${DEFCAP}: sweep s / total s / edges |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---:|"
  awk -F'\t' '{
    sc = ($6 > 0) ? sprintf("%.0fx", $3/$6) : "-"; st = ($7 > 0) ? sprintf("%.1fx", $4/$7) : "-";
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s / %s |\n",
      $1, $2, $3, $4, $5, $6, $7, $8, sc, st, $9, $10, $11, $12, $13, $14 }' "$RES"
  echo
  echo "| network | messages | CNT preprocess/compute/export s | lockstep read/sweep/significance/cluster/write s | steps timed while busy |"
  echo "|---|---:|---:|---:|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $15, $16, $17 }' "$RES"
} | tee "$WORK/table.md"
echo "(CNT total = preprocess + compute + export; per-step logs: $WORK/runs/)"
