# bash completion for taskscope(8): commands, each command's flags, process
# ids for -p, process names (as the kernel keeps them, 15 characters) for
# --comm, files for -o/--output, --trace and --pprof.
#
# Installed as share/bash-completion/completions/taskscope. Uses
# bash-completion's helpers when they are loaded, and works without them.
# The flag lists must match `taskscope COMMAND --help`:
# tests/integration/ship_completion.sh checks both ways.

_taskscope_global_opts='-v --verbose -h --help -V --version'
_taskscope_commands='snapshot watch'
_taskscope_snapshot_opts='-p --pid --comm --all --json --folded
	--kernel-stacks --stack-size -o --output --recent -h --help'
_taskscope_watch_opts='-p --pid --comm -d --duration --min-block --stuck
	--stacks --json --trace --recorder --ring-mb -q --quiet
	--summary-threads -h --help'

# Process ids of every process, for -p.
_taskscope_pids()
{
	local cur=$1 p pids=()

	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	COMPREPLY=($(compgen -W "${pids[*]}" -- "$cur"))
}

# Names of running processes as /proc/PID/comm has them (what --comm
# matches), each once.
_taskscope_comms()
{
	local cur=$1 IFS=$'\n'

	COMPREPLY=($(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null |
		sort -u)" -- "$cur"))
}

_taskscope_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir
	else
		local IFS=$'\n'
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$1"))
	fi
}

_taskscope()
{
	local cur prev words cword i cmd= opts

	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]}
		# --flag=VALUE: complete the value, whether or not '=' is in
		# COMP_WORDBREAKS (then it is a word of its own).
		if [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
		elif [[ $cur == = ]]; then
			cur=
		elif [[ $prev == = ]] && ((cword >= 2)); then
			prev=${words[cword - 2]}
		fi
	fi

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
	-p | --pid)
		_taskscope_pids "$cur"
		return
		;;
	--comm)
		_taskscope_comms "$cur"
		return
		;;
	-o | --output | --trace | --pprof)
		_taskscope_files "$cur"
		return
		;;
	-d | --duration | --min-block | --stuck | --recent | --stack-size | \
	--recorder | --ring-mb | --summary-threads)
		# A number or a duration (500ms, 5s, 2m): nothing to offer.
		return
		;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

complete -F _taskscope taskscope
