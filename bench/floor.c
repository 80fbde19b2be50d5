// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The bare-uprobe floor: attaches empty BPF programs to the same probe points
 * leakd chooses in a process, prints "attached", and holds them until the
 * process exits.  Usage: floor PID [--at-entry] [--no-return]
 * --no-return leaves the return probes out: the floor of sampled tracing, whose
 * unsampled calls pay the entry probes alone.
 * --at-entry probes the first instruction of each function instead, which the
 * kernel may have to single-step: what leakd's placement saves.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "stacks/elfobj.h"
#include "floor.skel.h"
#include "collect/probes.h"
#include "base/procmaps.h"
#include "collect/target.h"

static struct bpf_link *attach(struct bpf_program *prog, pid_t pid, const char *path,
			       const unsigned long *offs, size_t n, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, o, .offsets = offs, .cnt = n, .retprobe = ret);

	return n ? bpf_program__attach_uprobe_multi(prog, pid, path, NULL, &o) : NULL;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	struct proc_maps maps;
	struct pollfd pfd;
	int pid = 0, links = 0, a;
	bool at_entry = false, no_return = false;
	size_t i;

	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--at-entry"))
			at_entry = true;
		else if (!strcmp(argv[a], "--no-return"))
			no_return = true;
		else
			break;
	}
	if (argc < 2 || a != argc || (pid = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: floor PID [--at-entry] [--no-return]\n");
		return 2;
	}
	skel = floor_bpf__open_and_load();
	if (!skel || procmaps__read(pid, &maps)) {
		fprintf(stderr, "floor: cannot load or read pid %d\n", pid);
		return 1;
	}
	for (i = 0; i < maps.n; i++) {
		struct probe_site sites[PROBES_MAX_SITES];
		unsigned long alloc[PROBES_MAX_SITES], freeo[PROBES_MAX_SITES];
		size_t na = 0, nf = 0;
		struct elf_obj *o;
		char path[128];
		int n, j;

		if (!maps.v[i].exec || !map_entry__is_file(&maps.v[i]) ||
		    map_entry__open_path(&maps.v[i], pid, path, sizeof(path)))
			continue;
		o = elf_obj__open(path, maps.v[i].path);
		n = o ? probes__plan(o, sites, PROBES_MAX_SITES) : 0;
		elf_obj__free(o);
		for (j = 0; j < n; j++) {
			uint64_t off = at_entry ? sites[j].func_offset : sites[j].offset;

			if (sites[j].fn == LEAKD_FN_FREE)
				freeo[nf++] = off;
			else
				alloc[na++] = off;
		}
		if (!n)
			continue;
		if ((!no_return && !attach(skel->progs.floor_exit, pid, path, alloc, na, true)) ||
		    !attach(skel->progs.floor_enter, pid, path, alloc, na, false) ||
		    !attach(skel->progs.floor_free, pid, path, freeo, nf, false)) {
			fprintf(stderr, "floor: attach failed: %s\n", strerror(errno));
			return 1;
		}
		links++;
	}
	if (!links) {
		fprintf(stderr, "floor: no allocator in pid %d\n", pid);
		return 1;
	}
	fprintf(stderr, "floor: attached\n");
	pfd.fd = target__pidfd(pid);
	pfd.events = POLLIN;
	poll(&pfd, 1, -1);
	return 0;
}
