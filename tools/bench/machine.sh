#!/usr/bin/env bash
# Prints a one-paragraph markdown description of this machine for benchmark
# reports: CPU model and count, memory, kernel, distribution, disk of the
# working directory.
set -euo pipefail
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
distro=$(. /etc/os-release && echo "$PRETTY_NAME")
fs=$(df -hT . | awk 'NR==2 {print $2" on "$1}')
echo "Machine: $(nproc) x $cpu, $mem RAM, Linux $(uname -r), $distro, working directory on $fs."
