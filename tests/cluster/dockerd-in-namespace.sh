#!/bin/sh
# Starts one host's dockerd. testbed.py runs this as
#   setsid --fork nsenter --net=/run/netns/<netns> unshare --mount --uts --propagation slave \
#       sh dockerd-in-namespace.sh <state dir> <hostname> <bed network>
# so it is already in the host's network namespace and in fresh mount and UTS
# namespaces; the mounts below are invisible to the root namespace.
set -eu
state=$1
# The launcher's PID is dockerd's PID: the exec below keeps it.
echo $$ > "$state/dockerd.pid"
# An own hostname: Swarm names the node after it.
hostname "$2"
# An own /etc/docker: an own key.json, so an own engine ID.
mount --bind "$state/etc-docker" /etc/docker
# The network namespace's sysfs (its own /sys/class/net), with the cgroup
# mounts kept aside and put back: without them dockerd fails with
# "Devices cgroup isn't mounted".
mkdir -p "$state/.cgroup"
mount --rbind /sys/fs/cgroup "$state/.cgroup"
mount -t sysfs sysfs /sys
mount --move "$state/.cgroup" /sys/fs/cgroup
exec dockerd --config-file "$state/daemon.json" \
    --data-root "$state/docker" --exec-root "$state/exec" --pidfile "$state/exec/dockerd.pid" \
    -H "unix://$state/docker.sock" --insecure-registry "$3"
