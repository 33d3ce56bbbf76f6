#!/usr/bin/env bash
# Start a one-node Slurm cluster (munge + slurmctld + slurmd) on this machine, for trying and testing
# `tools/benchmark.py --executor slurm` (tests/test_sweep_slurm.py -m slow). Run as root on a fresh Debian /
# Ubuntu machine or container; no systemd or cgroups needed:
#
#   apt-get update && apt-get install -y slurm-wlm munge
#   bash tools/slurm/start_local_cluster.sh           # writes /etc/slurm/slurm.conf, starts the daemons
#   sinfo; sbatch --wrap hostname                      # partition "debug", this host as its only node
#   bash tools/slurm/start_local_cluster.sh --stop     # stops the daemons again
#
# The node offers this machine's CPUs and memory (and no GPUs). Existing daemons are restarted; an existing
# /etc/slurm/slurm.conf is kept as slurm.conf.bak once.
set -euo pipefail

SLURM_ETC=${SLURM_ETC:-/etc/slurm}
PARTITION=${PARTITION:-debug}

if [[ $EUID -ne 0 ]]; then
    echo "start_local_cluster.sh: run as root (it writes $SLURM_ETC and starts the daemons)" >&2
    exit 1
fi
for bin in munged slurmctld slurmd sinfo; do
    if ! command -v "$bin" >/dev/null; then
        echo "start_local_cluster.sh: $bin not found; install it first: apt-get install -y slurm-wlm munge" >&2
        exit 1
    fi
done

stop_pid() {  # stop the daemon whose pid file is $1 (only that process)
    if [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; then
        kill "$(cat "$1")"
        for _ in $(seq 20); do kill -0 "$(cat "$1")" 2>/dev/null || break; sleep 0.5; done
    fi
}
stop() {
    stop_pid /run/slurmd.pid
    stop_pid /run/slurmctld.pid
}
if [[ "${1:-}" == "--stop" ]]; then
    stop
    stop_pid /run/munge/munged.pid
    echo "slurm daemons stopped"
    exit 0
fi

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))   # leave 1 GB to the system

# --- munge (authentication between the Slurm daemons and clients)
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
    else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge
if ! munge -n >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n | unmunge >/dev/null   # fails loudly if authentication does not work

# --- slurm.conf: one node, one partition, no accounting, no cgroups (works in containers)
mkdir -p "$SLURM_ETC" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [[ -f "$SLURM_ETC/slurm.conf" && ! -f "$SLURM_ETC/slurm.conf.bak" ]]; then
    cp "$SLURM_ETC/slurm.conf" "$SLURM_ETC/slurm.conf.bak"
fi
cat > "$SLURM_ETC/slurm.conf" <<CONF
ClusterName=mobilebench-local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobRequeue=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=10
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

# --- the daemons
stop
slurmctld
slurmd
for _ in $(seq 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        scontrol update nodename="$HOST" state=resume 2>/dev/null || true
        sinfo
        echo "one-node Slurm cluster up: partition $PARTITION, node $HOST ($CPUS CPUs, $MEM_MB MB)"
        exit 0
    fi
    sleep 1
done
echo "start_local_cluster.sh: the node did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo >&2 || true
exit 1
