#!/usr/bin/env bash
# A real single-node Slurm (Debian's slurmctld + slurmd + munged, started by hand without systemd) in a private
# directory, for the tests in this folder. Adapted from ../shared/reference/slurm-local.sh (the project's working recipe
# and its notes on the pitfalls: munge socket permissions, cred_expire delaying requeues by 120 s unless lowered, job
# processes escaping proctrack/linuxproc); changed for tests: nothing is installed here (.ci/setup installs munge,
# slurmctld, slurmd and slurm-client), /etc is never touched (callers set SLURM_CONF), the directory and ports are the
# caller's, and requeues are fast (cred_expire=5, Slurm's least; KillWait 5 s).
#
#   SLURM_LOCAL_DIR=DIR slurm-local.sh start   write DIR/etc/slurm.conf, start munged, slurmctld, slurmd (each in the
#                                              foreground of its own session, its PID in DIR/run/NAME.pid); wait until
#                                              the node is idle
#   SLURM_LOCAL_DIR=DIR slurm-local.sh stop    cancel every job, then end exactly the PIDs recorded in DIR/run
#                                              (SIGTERM, SIGKILL after 15 s), and any job process that escaped tracking
#
# Environment: SLURM_LOCAL_DIR (required, created; an existing one must hold the marker this script leaves),
# SLURM_LOCAL_CTLD_PORT / SLURM_LOCAL_SLURMD_PORT (default 6817 / 6818), SLURM_LOCAL_KILLWAIT (default 5),
# SLURM_LOCAL_REQUEUE_DELAY (cred_expire, default 5), SLURM_LOCAL_CPUS (default nproc). Needs root (SlurmUser=root).
set -euo pipefail

BASE=${SLURM_LOCAL_DIR:?set SLURM_LOCAL_DIR to a directory for Slurm state, logs and PID files}
KILLWAIT=${SLURM_LOCAL_KILLWAIT:-5}
REQUEUE_DELAY=${SLURM_LOCAL_REQUEUE_DELAY:-5}
CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-6818}
CONF=$BASE/etc/slurm.conf
MSOCK=$BASE/munge/munge.socket.2
HOST=$(hostname -s)
MARK=.made-by-slurm-local   # marker file: only a directory holding it is ever cleared

for v in KILLWAIT REQUEUE_DELAY CTLD_PORT SLURMD_PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "slurm-local: SLURM_LOCAL_$v must be a whole number, got '${!v}'" >&2; exit 2; }
done
[ "$REQUEUE_DELAY" -ge 5 ] || { echo "slurm-local: Slurm refuses cred_expire below 5 s" >&2; exit 2; }

log() { printf '[slurm-local %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

proc_live() {  # proc_live PID -> 0 if it exists and is not a zombie
    [ -r "/proc/$1/stat" ] || return 1
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pid_alive() {  # pid_alive NAME -> 0 if the PID in $BASE/run/NAME.pid is alive and is still NAME (not a recycled PID)
    local f=$BASE/run/$1.pid pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    proc_live "$pid" || return 1
    [ "$(tr '\0' '\n' 2>/dev/null < "/proc/$pid/cmdline" | head -1)" = "$1" ] || return 1
}

wait_for() {  # wait_for SECONDS DAEMON DESCRIPTION COMMAND... (fails at once if DAEMON exits)
    local limit=$1 daemon=$2 what=$3 i; shift 3
    for ((i = 0; i < limit * 10; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if ! pid_alive "$daemon"; then
            # Quote the daemon's own words: the caller's temporary directory (and its logs) may be gone by the time anyone looks.
            local f
            for f in "$BASE/log/$daemon.out" "$BASE/log/$daemon.log"; do
                [ -s "$f" ] && { echo "--- last lines of $f:"; tail -n 15 "$f"; } >&2
            done
            die "$daemon exited while waiting for $what; see $BASE/log/$daemon.out and $BASE/log/$daemon.log (quoted above)"
        fi
        sleep 0.1
    done
    die "timed out after ${limit}s waiting for $what"
}

write_config() {
    local cpus mem total head
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    total=$(free -m | awk '/^Mem:/{print $2}')
    head=$(( total / 10 )); [ $head -lt 1024 ] && head=1024
    mem=$(( total - head ))
    mkdir -p "$BASE" && touch "$BASE/$MARK"
    mkdir -p "$BASE"/{etc,state,spool/slurmd,log,run,munge}
    chmod 755 "$BASE" "$BASE/munge"   # munged: the socket's directory must be world-executable, not group/other-writable
    cat > "$CONF" <<CONF
# Written by slurm-local.sh (BioSim tests) — single-node Slurm for tests. Do not use in production.
ClusterName=biosimtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire: a requeued job may start again only this many seconds later (Slurm's default 120)
AuthInfo=socket=$MSOCK,cred_expire=$REQUEUE_DELAY
CredType=cred/munge
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool/slurmd
SlurmctldPidFile=$BASE/run/slurmctld.daemonpid
SlurmdPidFile=$BASE/run/slurmd.daemonpid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$(( mem / cpus ))
SchedulerType=sched/backfill
# schedule at submit time, and look at pending jobs every second (the least) so a requeued job starts soon after its BeginTime
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
ReturnToService=2
# SIGTERM, then SIGKILL after KillWait seconds (scancel, time limit, requeue)
KillWait=$KILLWAIT
MinJobAge=300
JobRequeue=1
NodeName=$HOST NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$cpus RealMemory=$mem State=UNKNOWN
# preemption by partition priority: a job in 'urgent' that needs the node requeues the jobs of 'debug' running there
# (they get SIGTERM, then SIGKILL after KillWait, and start again from the queue)
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=$HOST MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
CONF
}

start_bg() {  # start_bg NAME COMMAND...  (a daemon kept in the foreground, in its own session, its PID recorded)
    local name=$1; shift
    setsid "$@" > "$BASE/log/$name.out" 2>&1 < /dev/null &
    echo $! > "$BASE/run/$name.pid"
}

do_start() {
    [ "$(id -u)" -eq 0 ] || die "run as root (SlurmUser=root)"
    local p
    for p in munged slurmctld slurmd sinfo munge; do
        command -v $p >/dev/null || die "$p is missing: install the Debian packages munge slurmctld slurmd slurm-client (.ci/setup does)"
    done
    for p in munged slurmctld slurmd; do
        pid_alive $p && die "$p from a previous start is still running (pid $(cat "$BASE/run/$p.pid")); run '$0 stop' first"
    done
    if [ -e "$BASE" ] && [ -n "$(ls -A "$BASE")" ]; then  # only ever clear a directory this script made
        [ -e "$BASE/$MARK" ] || die "$BASE exists, is not empty and was not made by this script"
        rm -rf "${BASE:?}"/{etc,state,spool,log,run,munge}
    fi
    write_config
    export SLURM_CONF=$CONF
    trap 'if [ "${started_ok:-0}" != 1 ]; then log "start failed; stopping what it started"; do_stop; fi' EXIT

    dd if=/dev/urandom of="$BASE/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$BASE/munge/munge.key"
    start_bg munged munged -F --key-file="$BASE/munge/munge.key" --socket="$MSOCK" \
        --pid-file="$BASE/run/munged.daemonpid" --log-file="$BASE/log/munged.log" --seed-file="$BASE/munge/munged.seed"
    wait_for 15 munged "munged's socket" bash -c "munge -n --socket='$MSOCK' | unmunge --socket='$MSOCK'"

    # -D: foreground (so $! is the daemon); -i: ignore stale state; -c: clear state
    start_bg slurmctld slurmctld -D -i -c -f "$CONF"
    wait_for 30 slurmctld "slurmctld to answer" scontrol ping
    start_bg slurmd slurmd -D -f "$CONF" -N "$HOST"
    node_idle() { [ "$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -1)" = idle ]; }
    wait_for 60 slurmd "node $HOST idle in sinfo" node_idle
    for p in munged slurmctld slurmd; do pid_alive $p || die "$p died; see $BASE/log/"; done
    started_ok=1
    log "up: node $HOST idle; pids munged=$(cat "$BASE/run/munged.pid") slurmctld=$(cat "$BASE/run/slurmctld.pid") slurmd=$(cat "$BASE/run/slurmd.pid")"
}

stop_pid() {  # stop_pid NAME : SIGTERM the recorded PID, SIGKILL after 15 s if still there
    local name=$1 pid i
    pid_alive "$name" || { rm -f "$BASE/run/$name.pid"; return 0; }
    pid=$(cat "$BASE/run/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do proc_live "$pid" || break; sleep 0.1; done
    if proc_live "$pid"; then
        log "$name ($pid) ignored SIGTERM for 15 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do proc_live "$pid" || break; sleep 0.1; done
    fi
    proc_live "$pid" && die "$name ($pid) is still alive"
    rm -f "$BASE/run/$name.pid"
    log "stopped $name ($pid)"
}

job_orphans() {  # PIDs of job processes launched by *this* Slurm that are still alive
    # proctrack/linuxproc follows parent links only: a job process whose parent died is re-parented to init and escapes
    # Slurm's cleanup. slurmd puts SLURM_CONF=<our config> and SLURM_JOB_ID into every job's environment, which
    # identifies them exactly; this script's own process chain is excluded.
    local self_chain=" " p=$$ e pid env
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        self_chain+="$p "; p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || true)
    done
    for e in /proc/[0-9]*/environ; do
        pid=${e#/proc/}; pid=${pid%/environ}
        case "$self_chain" in *" $pid "*) continue ;; esac
        proc_live "$pid" || continue
        env=$(tr '\0' '\n' 2>/dev/null < "$e") || continue
        if grep -qx "SLURM_CONF=$CONF" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env"; then echo "$pid"; fi
    done
    return 0
}

do_stop() {
    export SLURM_CONF=$CONF
    [ -f "$CONF" ] || { log "nothing to stop ($CONF absent)"; return 0; }
    if pid_alive slurmctld; then
        scancel --full --quiet 2>/dev/null || true
        local i
        for ((i = 0; i < (KILLWAIT + 20) * 10; i++)); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1
        done
        [ -z "$(squeue -h -o %i 2>/dev/null)" ] || log "WARNING: jobs still listed after scancel: $(squeue -h -o %i | tr '\n' ' ')"
    fi
    stop_pid slurmd
    stop_pid slurmctld
    local pids pid i any
    pids=$(job_orphans | tr '\n' ' ') || pids=""
    if [ -n "${pids// /}" ]; then
        log "ending job processes that escaped Slurm's tracking: $pids"
        for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
        for ((i = 0; i < 50; i++)); do
            any=0; for pid in $pids; do proc_live "$pid" && any=1; done
            [ $any = 0 ] && break; sleep 0.1
        done
        for pid in $pids; do proc_live "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
    fi
    stop_pid munged
}

case "${1:-}" in
    start) do_start ;;
    stop)  do_stop ;;
    *)     echo "usage: SLURM_LOCAL_DIR=DIR $0 start|stop" >&2; exit 2 ;;
esac
