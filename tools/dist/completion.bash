# bash completion for taskscope(8) and uploadd(8).
#
# taskscope: its commands, each command's flags, process ids for -p,
# process names (as the kernel keeps them, 15 characters) for --comm, files
# for -o/--output, --trace and --pprof. uploadd: its flags, directories for
# --storage, files for --token-file and --redis-password-file, users for
# --user.
#
# Installed as share/bash-completion/completions/taskscope, with
# completions/uploadd a symlink to it (bash-completion loads a command's
# file by its name; one file keeps the shared helpers in one place). Uses
# bash-completion's helpers when they are loaded, and works without them.
# The flag lists must match each --help: tests/integration/ship_completion.sh
# checks both ways.

_taskscope_global_opts='-v --verbose -h --help -V --version'
_taskscope_commands='snapshot watch'
_taskscope_snapshot_opts='-p --pid --comm --all --json --folded
	--kernel-stacks --stack-size -o --output --recent --pprof --no-goroutines
	--no-peers
	-h --help'
_taskscope_watch_opts='-p --pid --comm -d --duration --min-block --stuck
	--stacks --json --trace --pprof --recorder --ring-mb -q --quiet
	--summary-threads --goroutine-waits --no-goroutines -h --help'
_uploadd_opts='-l --listen --debug-listen --max-connections
	--connection-timeout --header-timeout --min-body-rate -s --storage
	--max-upload-size --small-file-max --max-uploads --lock-ttl --token-file
	--redis-host
	--redis-port --redis-password-file --redis-connect-timeout
	--redis-timeout --redis-sentinel --redis-master --redis-min-replicas
	--redis-wait-timeout --redis-failover-wait --ceph-conf --ceph-id
	--ceph-timeout --sweep-interval --orphan-grace --user --shutdown-grace
	--no-access-log -v --verbose -h --help -V --version'

# Sets the caller's cur, prev, words and cword (declared local there), as
# bash-completion's _init_completion -s does; --flag=VALUE completes the
# value, whether or not '=' is in COMP_WORDBREAKS (then it is a word of
# its own). Returns non-zero when there is nothing to complete.
_taskscope_comp_init()
{
	if declare -F _init_completion >/dev/null; then
		_init_completion -s
		return
	fi
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	elif [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((cword >= 2)); then
		prev=${words[cword - 2]}
	fi
}

# File names (or, with -d, directory names) starting with $cur.
_taskscope_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		local IFS=$'\n' what=-f
		[[ ${1-} == -d ]] && what=-d
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen $what -- "$cur"))
	fi
}

# Process ids of every process, for -p.
_taskscope_pids()
{
	local p pids=()

	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	COMPREPLY=($(compgen -W "${pids[*]}" -- "$cur"))
}

# Names of running processes as /proc/PID/comm has them (what --comm
# matches), each once.
_taskscope_comms()
{
	local IFS=$'\n'

	COMPREPLY=($(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null |
		sort -u)" -- "$cur"))
}

_taskscope()
{
	local cur prev words cword i cmd= opts

	_taskscope_comp_init || return
	# The command is the first word that is not a global option.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_taskscope_global_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_taskscope_commands help" -- "$cur"))
		fi
		return
		;;
	help)
		((i == cword - 1)) &&
			COMPREPLY=($(compgen -W "$_taskscope_commands" -- "$cur"))
		return
		;;
	snapshot) opts=$_taskscope_snapshot_opts ;;
	watch) opts=$_taskscope_watch_opts ;;
	*) return ;;
	esac

	case $prev in
	-p | --pid) _taskscope_pids; return ;;
	--comm) _taskscope_comms; return ;;
	-o | --output | --trace | --pprof) _taskscope_files; return ;;
	-d | --duration | --min-block | --stuck | --recent | --stack-size | \
	--recorder | --ring-mb | --summary-threads)
		# A number or a duration (500ms, 5s, 2m): nothing to offer.
		return
		;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

_uploadd()
{
	local cur prev words cword

	_taskscope_comp_init || return
	case $prev in
	-s | --storage) _taskscope_files -d; return ;;
	--token-file | --redis-password-file | --ceph-conf) _taskscope_files; return ;;
	--user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
	--debug-listen) COMPREPLY=($(compgen -W 'off' -- "$cur")); return ;;
	-l | --listen | --max-connections | --connection-timeout | \
	--header-timeout | --min-body-rate | --max-upload-size | \
	--small-file-max | \
	--max-uploads | --lock-ttl | --redis-host | --redis-port | \
	--redis-connect-timeout | --redis-timeout | --shutdown-grace | \
	--redis-sentinel | --redis-master | --redis-min-replicas | \
	--redis-wait-timeout | --redis-failover-wait | --ceph-id | \
	--ceph-timeout | --sweep-interval | --orphan-grace)
		# An address, a number or a size: nothing to offer.
		return
		;;
	esac
	COMPREPLY=($(compgen -W "$_uploadd_opts" -- "$cur"))
}

complete -F _taskscope taskscope
complete -F _uploadd uploadd
