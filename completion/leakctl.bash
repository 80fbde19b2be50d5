# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# bash completion for leakctl(1); needs bash-completion's helpers.
# shellcheck shell=bash disable=SC2207

# The pids of running processes, kernel threads aside (they have no command line).
_leakctl_pids()
{
	local dir arg

	for dir in /proc/[0-9]*; do
		[[ ${dir#/proc/} == "$cur"* ]] || continue
		read -r -d '' arg <"$dir/cmdline" 2>/dev/null
		[[ -n $arg ]] && COMPREPLY+=("${dir#/proc/}")
	done
}

# Process names as in /proc/PID/comm (they may hold blanks), kernel threads aside.
_leakctl_comms()
{
	local dir name arg
	local -A seen=()

	for dir in /proc/[0-9]*; do
		read -r name <"$dir/comm" 2>/dev/null || continue
		[[ -n $name && -z ${seen[$name]-} && $name == "$cur"* ]] || continue
		read -r -d '' arg <"$dir/cmdline" 2>/dev/null
		[[ -n $arg ]] || continue
		seen[$name]=1
		COMPREPLY+=("$(printf '%q' "$name")")
	done
}

# The units of running processes, where systemd runs.
_leakctl_units()
{
	type -P systemctl >/dev/null || return
	COMPREPLY+=($(compgen -W "$(systemctl list-units --all --no-legend --plain \
		--type=service,scope,slice 2>/dev/null | while read -r unit _; do
			printf '%s\n' "$unit"
		done)" -- "$cur"))
}

_leakctl()
{
	local cur prev words cword split
	_init_completion -s || return

	local commands="status ps top trace untrace exited export snapshot diff timeline"
	local globals="--json --format --short-names --socket --help --version"
	local cmd="" i

	# The command: the first word that is no global option (or its argument).
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket | --format) ((i++)) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done

	case $prev in
	-s | --socket | -o | --output)
		_filedir
		return
		;;
	--pid)
		_leakctl_pids
		return
		;;
	--comm)
		_leakctl_comms
		return
		;;
	--unit)
		_leakctl_units
		return
		;;
	--level)
		if [[ $cmd == export ]]; then
			COMPREPLY=($(compgen -W 'heap mapping' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'heap mapping all' -- "$cur"))
		fi
		return
		;;
	--by)
		COMPREPLY=($(compgen -W 'bytes growth' -- "$cur"))
		return
		;;
	--cgroup)
		COMPREPLY=($(compgen -W "$(awk -F:: '/^0::/ {print $2}' /proc/[0-9]*/cgroup \
			2>/dev/null | sort -u)" -- "$cur"))
		return
		;;
	--format)
		# The profile formats go with export, and export with them only.
		if [[ $cmd == export ]]; then
			COMPREPLY=($(compgen -W 'pprof folded svg' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'text json' -- "$cur"))
		fi
		return
		;;
	-n | --limit | --min-age | --for | --window | --since | --sample)
		return
		;;
	esac
	$split && return

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts="--json --format"
	case $cmd in
	ps | exited) opts+=" -n --limit" ;;
	top) opts+=" --pid --comm --unit --cgroup -n --limit --level --min-age --short-names
		--since --by --window --ages" ;;
	snapshot) opts+=" --pid --comm --unit --cgroup --level" ;;
	diff) opts+=" --pid --comm --unit --cgroup -n --limit --level" ;;
	timeline) opts+=" -n --limit --window -o --output" ;;
	trace) opts+=" --pid --comm --unit --for --sample --exact --inject" ;;
	untrace) opts+=" --pid --comm --unit" ;;
	export) opts="--format --pid --comm --unit --cgroup --level -o --output --by --window" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ $cmd == @(top|export|trace|untrace) ]]; then
		# A bare PID selects a process too.
		_leakctl_pids
	fi
} &&
	complete -F _leakctl leakctl
