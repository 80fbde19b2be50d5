#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The bash completion scripts parse, and complete what they should with
# bash-completion's helpers loaded: commands, their options, --level values, pids,
# every long option of leakd --help.
#   completion.sh LEAKCTL_BASH LEAKD_BASH LEAKD LEAKCTL
set -u

leakctl_bash=$1 leakd_bash=$2 leakd=$3 leakctl=$4
bash_completion=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

if [[ ! -r $bash_completion ]]; then
	if [[ ${CI-} =~ ^(true|1|yes)$ ]]; then
		echo "FAIL: missing $bash_completion (CI=true: a missing tool is a failure)" >&2
		exit 1
	fi
	echo "SKIP: missing $bash_completion (install bash-completion)" >&2
	exit 77
fi

for f in "$leakctl_bash" "$leakd_bash"; do
	bash -n "$f" || fail "bash -n $f"
done

# shellcheck source=/dev/null
source "$bash_completion"
# shellcheck source=/dev/null
source "$leakctl_bash"
# shellcheck source=/dev/null
source "$leakd_bash"
# Outside of a real completion compopt has nothing to act on.
compopt() { :; }

# Completes the words given (the last one is being completed) into $reply.
complete_words() {
	local spec fn
	spec=$(complete -p "$1" 2>/dev/null) || {
		fail "no completion for $1"
		reply=""
		return
	}
	fn=${spec#*-F }
	fn=${fn%% *}
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	reply=" ${COMPREPLY[*]-} "
}

# expect WORDS... = EXPECTED...: the completion offers exactly these.
expect() {
	local -a words=() want=()
	while [[ $1 != = ]]; do words+=("$1"); shift; done
	shift
	want=("$@")
	complete_words "${words[@]}"
	local got sorted_want
	got=$(tr ' ' '\n' <<<"$reply" | sed '/^$/d' | sort | tr '\n' ' ')
	sorted_want=$(printf '%s\n' "${want[@]}" | sort | tr '\n' ' ')
	[[ $got == "$sorted_want" ]] || fail "'${words[*]}' offers '$got', not '$sorted_want'"
}

# offers WORDS... = SOME...: the completion offers at least these.
offers() {
	local -a words=()
	while [[ $1 != = ]]; do words+=("$1"); shift; done
	shift
	complete_words "${words[@]}"
	local w
	for w in "$@"; do
		[[ $reply == *" $w "* ]] || fail "'${words[*]}' does not offer '$w' (offers:$reply)"
	done
}

expect leakctl t = top trace timeline
offers leakctl top --l = --level
expect leakctl top --level "" = heap mapping all
expect leakctl "" = status ps top trace untrace exited export snapshot diff timeline
expect leakctl --json u = untrace
expect leakctl -s /tmp/leakd.sock e = exited export
expect leakctl -s /tmp/leakd.sock exi = exited
offers leakctl -- = --json --format --socket --help --version
expect leakctl ps - = -n --limit --json --format
expect leakctl trace -- = --pid --comm --unit --for --sample --exact --inject --json --format
expect leakctl --format "" = text json
expect leakctl --format json e = exited export
expect leakctl --format json exi = exited
expect leakctl export --format "" = pprof folded svg
expect leakctl export --level "" = heap mapping
expect leakctl export - = --format --pid --comm --unit --cgroup --level -o --output --by --window
offers leakctl -- = --short-names
offers leakctl top -- = --short-names
offers leakd -- = --short-names
offers leakctl trace --pid "$$" = "$$"
offers leakctl top "$$" = "$$"
offers leakctl trace --comm "" = "$(cat /proc/$$/comm)"
offers leakd --pid "$$" = "$$"
offers leakd -p "$$" = "$$"
expect leakd --socket-group root = root
offers leakd -- bas = bash
# Every long option of leakd --help, and nothing it lacks.
mapfile -t help_opts < <("$leakd" --help | grep -oE '^ {2}(-[a-zA-Z], | {4})--[a-z-]+' |
	grep -oE -- '--[a-z-]+' | sort)
((${#help_opts[@]} > 30)) || fail "only ${#help_opts[@]} options in leakd --help"
expect leakd -- = "${help_opts[@]}" --
# Likewise the options of leakctl.
mapfile -t help_opts < <("$leakctl" --help | grep -oE '^ {2}(-[a-zA-Z], | {4})--[a-z-]+' |
	grep -oE -- '--[a-z-]+')
((${#help_opts[@]} >= 4)) || fail "only ${#help_opts[@]} options in leakctl --help"
expect leakctl -- = "${help_opts[@]}"

if ((failures)); then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo ok
