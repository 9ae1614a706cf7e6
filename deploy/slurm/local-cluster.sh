#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to try deploy/slurm/ and for tests/cluster.rs.
#
#   deploy/slurm/local-cluster.sh start [DIR]    # install if missing, start munge, slurmctld, slurmd
#   deploy/slurm/local-cluster.sh status [DIR]   # the node's state (idle, allocated, ...)
#   deploy/slurm/local-cluster.sh stop [DIR]     # scontrol shutdown, then the munged it started
#   export SLURM_CONF=DIR/slurm.conf              # then sbatch, squeue, scontrol use it
#
# DIR holds everything the cluster writes (slurm.conf, state, spool, logs, pid files); it
# defaults to $ARREARS_SLURM_DIR or ${TMPDIR:-/tmp}/arrears-slurm. Ports: $ARREARS_SLURM_PORT
# (slurmctld, default 6817) and the next one (slurmd).
#
# When Slurm is missing, `start` installs Debian's `munge slurmctld slurmd slurm-client` (as
# root, or through sudo) and says so first. Slurm's daemons run as root here: slurmd must, to
# start jobs as their user. Tested with Slurm 22.05 (Debian 12). Quiet on success; on failure
# it says what failed and shows the end of the daemons' logs.
set -euo pipefail

command="${1:-}"
dir="${2:-${ARREARS_SLURM_DIR:-${TMPDIR:-/tmp}/arrears-slurm}}"
port="${ARREARS_SLURM_PORT:-6817}"
conf="$dir/slurm.conf"

die() {
    echo "error: local Slurm: $*" >&2
    exit 1
}

sudo_prefix() {
    if [ "$(id -u)" -eq 0 ]; then
        echo ""
    elif command -v sudo >/dev/null 2>&1; then
        echo "sudo"
    else
        die "not root and no sudo: run as root, or install Debian's munge slurmctld slurmd slurm-client"
    fi
}

install_if_missing() {
    local missing=()
    command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || missing+=(munge)
    command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ] || missing+=(slurmctld)
    command -v slurmd >/dev/null 2>&1 || [ -x /usr/sbin/slurmd ] || missing+=(slurmd)
    command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "== installing Debian's ${missing[*]} for a one-node Slurm cluster" >&2
    local sudo
    sudo="$(sudo_prefix)"
    export DEBIAN_FRONTEND=noninteractive
    # Install only: a package's own service start (where there is an init system) is stopped
    # right after, so that only this script's daemons run.
    {
        $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" \
            || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; }
    } >"${TMPDIR:-/tmp}/arrears-slurm-install.log" 2>&1 \
        || die "apt-get install ${missing[*]} failed; see ${TMPDIR:-/tmp}/arrears-slurm-install.log"
}

# The PID in a pid file when that process is alive, else nothing.
live_pid() {
    local file="$1" pid
    [ -r "$file" ] || return 0
    pid="$(cat "$file" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

show_logs() {
    for log in "$dir/slurmctld.log" "$dir/slurmd.log"; do
        [ -r "$log" ] && { echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; }
    done
}

node_state() {
    SLURM_CONF="$conf" sinfo -h -N -o '%t' 2>/dev/null | head -n 1
}

start() {
    install_if_missing
    [ -n "$(live_pid "$dir/slurmctld.pid")" ] && die "already running in $dir (stop it first)"
    mkdir -p "$dir/state" "$dir/spool"
    local sudo
    sudo="$(sudo_prefix)"

    # munge: Slurm's authentication. Started only when not running; then its PID is kept so
    # that `stop` ends this munged and no other.
    if ! pgrep -x munged >/dev/null 2>&1; then
        $sudo /etc/init.d/munge start >"$dir/munge-start.log" 2>&1 \
            || { cat "$dir/munge-start.log" >&2; die "munge did not start (/etc/init.d/munge start)"; }
        local pid
        pid="$(cat /run/munge/munged.pid 2>/dev/null || true)"
        [ -n "$pid" ] || die "munge started but wrote no /run/munge/munged.pid"
        echo "$pid" >"$dir/munged.pid"
    fi

    # The node as slurmd sees it (CPUs, sockets, cores, memory), on this host's short name.
    local node host
    node="$(slurmd -C | head -n 1)"
    case "$node" in NodeName=*) ;; *) die "slurmd -C printed no node line: $node" ;; esac
    host="$(hostname -s)"
    node="NodeName=$host ${node#NodeName=* }"

    cat >"$conf" <<EOF
# Written by deploy/slurm/local-cluster.sh: one node, no accounting, no cgroups.
ClusterName=arrears-local
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
$node State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

    # -c: a clean start, no jobs or state from an earlier cluster in this folder.
    $sudo slurmctld -c -f "$conf" || { show_logs; die "slurmctld did not start"; }
    $sudo slurmd -f "$conf" || { show_logs; stop_quietly; die "slurmd did not start"; }

    local waited=0 state=""
    while [ "$waited" -lt 60 ]; do
        state="$(node_state)"
        [ "$state" = "idle" ] && return 0
        sleep 1
        waited=$((waited + 1))
    done
    show_logs
    stop_quietly
    die "the node did not become idle within 60 s (last state: \`${state:-none}\`)"
}

stop_quietly() { stop >/dev/null 2>&1 || true; }

stop() {
    local sudo status=0 pid
    sudo="$(sudo_prefix)"
    if [ -r "$conf" ] && [ -n "$(live_pid "$dir/slurmctld.pid")$(live_pid "$dir/slurmd.pid")" ]; then
        # Shuts down slurmctld and every slurmd of the cluster.
        SLURM_CONF="$conf" scontrol shutdown >/dev/null 2>&1 || true
        for daemon in slurmctld slurmd; do
            local waited=0
            while [ -n "$(live_pid "$dir/$daemon.pid")" ] && [ "$waited" -lt 20 ]; do
                sleep 0.5
                waited=$((waited + 1))
            done
            pid="$(live_pid "$dir/$daemon.pid")"
            if [ -n "$pid" ]; then
                $sudo kill "$pid" 2>/dev/null || true
                sleep 1
                pid="$(live_pid "$dir/$daemon.pid")"
                [ -n "$pid" ] && { $sudo kill -9 "$pid" 2>/dev/null || true; }
            fi
        done
    fi
    pid="$(live_pid "$dir/munged.pid")"
    if [ -n "$pid" ]; then
        $sudo kill "$pid" 2>/dev/null || status=1
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
            sleep 0.25
            waited=$((waited + 1))
        done
    fi
    rm -f "$dir/munged.pid"
    [ "$status" -eq 0 ] || die "could not stop munged (pid $pid)"
}

status() {
    [ -r "$conf" ] && [ -n "$(live_pid "$dir/slurmctld.pid")" ] || { echo "stopped"; return 3; }
    local state
    state="$(node_state)"
    echo "${state:-unreachable}"
    [ "$state" = "idle" ] || [ "$state" = "alloc" ] || [ "$state" = "mix" ]
}

case "$command" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 start|stop|status [DIR]" >&2
        exit 2
        ;;
esac
