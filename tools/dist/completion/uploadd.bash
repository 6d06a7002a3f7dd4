# bash completion for uploadd(8): its flags, directories for --storage,
# files for --token-file and --redis-password-file, users for --user.
#
# Installed as share/bash-completion/completions/uploadd. Uses
# bash-completion's helpers when they are loaded, and works without them.
# The flag list must match `uploadd --help`:
# tests/integration/ship_completion.sh checks both ways.

_uploadd_opts='-l --listen --debug-listen --max-connections
	--connection-timeout --header-timeout --min-body-rate -s --storage
	--max-upload-size --max-uploads --lock-ttl --token-file --redis-host
	--redis-port --redis-password-file --redis-connect-timeout
	--redis-timeout --user --shutdown-grace --no-access-log -v --verbose
	-h --help -V --version'

_uploadd()
{
	local cur prev words cword

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

	case $prev in
	-s | --storage)
		if declare -F _filedir >/dev/null; then
			_filedir -d
		else
			local IFS=$'\n'
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		return
		;;
	--token-file | --redis-password-file)
		if declare -F _filedir >/dev/null; then
			_filedir
		else
			local IFS=$'\n'
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
		;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--debug-listen)
		COMPREPLY=($(compgen -W 'off' -- "$cur"))
		return
		;;
	-l | --listen | --max-connections | --connection-timeout | \
	--header-timeout | --min-body-rate | --max-upload-size | \
	--max-uploads | --lock-ttl | --redis-host | --redis-port | \
	--redis-connect-timeout | --redis-timeout | --shutdown-grace)
		return
		;;
	esac
	COMPREPLY=($(compgen -W "$_uploadd_opts" -- "$cur"))
}

complete -F _uploadd uploadd
