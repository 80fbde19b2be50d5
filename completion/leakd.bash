# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# bash completion for leakd(8); needs bash-completion's helpers.
# shellcheck shell=bash disable=SC2207

# The pids of running processes, kernel threads aside (they have no command line).
_leakd_pids()
{
	local dir arg

	for dir in /proc/[0-9]*; do
		[[ ${dir#/proc/} == "$cur"* ]] || continue
		read -r -d '' arg <"$dir/cmdline" 2>/dev/null
		[[ -n $arg ]] && COMPREPLY+=("${dir#/proc/}")
	done
}

_leakd()
{
	local cur prev words cword split
	_init_completion -s || return

	local i

	# After "--", a command and its own arguments.
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_command_offset $((i + 1))
			return
		fi
	done

	case $prev in
	-p | --pid)
		_leakd_pids
		return
		;;
	-o | --output | -c | --config)
		_filedir
		return
		;;
	--socket)
		_filedir
		return
		;;
	--sampler)
		_filedir so
		return
		;;
	--format)
		COMPREPLY=($(compgen -W 'text json pprof folded svg' -- "$cur"))
		return
		;;
	--cache-dir | --state-dir)
		_filedir -d
		return
		;;
	--socket-group)
		COMPREPLY=($(compgen -g -- "$cur"))
		return
		;;
	--event-budget)
		# events a second, or off
		COMPREPLY=($(compgen -W 'off' -- "$cur"))
		return
		;;
	--syscall-probes)
		COMPREPLY=($(compgen -W 'auto tracepoints raw' -- "$cur"))
		return
		;;
	-i | --interval | -n | --top | --min-age | -d | --duration | --max-depth | --sample | \
		--ringbuf-size | --watch-ringbuf-size | --max-allocs | --max-stacks | --max-mappings | --unwind-rows | \
		--sample-interval | --growth-window | --drilldown-bytes | --drilldown-window | \
		--drilldown-for | --drilldown-max | --drilldown-exclude | --untrace-sticky | \
		--max-procs | --max-traced | --max-sampler | --max-exited | \
		--exited-min-bytes | --max-rules | --max-clients | --history-points | \
		--history-series | --max-snapshots | --snapshot-stacks | --metrics-listen | \
		--metrics-top | --restart-grace)
		return
		;;
	esac
	$split && return

	COMPREPLY=($(compgen -W '--pid --interval --top --min-age --duration --json --format
		--short-names --output --max-depth --ringbuf-size --watch-ringbuf-size --max-allocs
		--max-stacks --max-mappings --unwind-rows --cache-dir --no-cache --sample
		--frame-pointers --syscall-probes --exact --follow-forks --no-hold --config --socket
		--socket-group --sample-interval --growth-window --drilldown-bytes
		--drilldown-window --drilldown-for --drilldown-max --drilldown-exclude --untrace-sticky
		--no-drilldown --trace-all --event-budget
		--max-procs --max-traced --max-sampler --max-exited --exited-min-bytes --max-rules
		--max-clients --history-points --history-series --state-dir --sampler --restart-grace --release
		--max-snapshots --snapshot-stacks --metrics-listen --metrics-top --verbose --help
		--version --' -- "$cur"))
} &&
	complete -F _leakd leakd
