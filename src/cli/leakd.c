// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* leakd: main() and option handling only; the work is in the modules. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "serve/adhoc.h"
#include "serve/control.h"
#include "serve/metrics.h"
#include "serve/daemon.h"
#include "base/log.h"
#include "cli/options.h"
#include "collect/tracer.h"
#include "version.h"

static void print_version(void)
{
	struct tracer_features f;

	printf("leakd %s (libbpf %s)\n", LEAKD_VERSION, libbpf_version_string());
	tracer__features(&f);
	printf("kernel: BTF %s, uprobes %s, allocator probes by %s, memory syscalls by %s\n",
	       f.btf ? "yes" : "no (leakd cannot run)", f.uprobes ? "yes" : "no (leakd cannot run)",
	       f.uprobe_multi ? "uprobe multi-links" : "single uprobes (no multi-links: slower to attach)",
	       f.syscall_tracepoints ? "syscall tracepoints" :
				       "syscall tracepoints once tracefs is mounted, else raw syscall exits");
	printf("sampled tracing (--sample) by %s\n",
	       f.uprobe_session ? "uprobe sessions (unsampled calls pay no return probe)" :
				  "entry and return probes (no uprobe sessions in this kernel)");
	printf("processes to be traced (-f, rules by name) %s\n",
	       f.hold ? "held at fork and exec until their probes are in (bpf_send_signal_task)" :
			"traced right after fork and exec (no bpf_send_signal_task in this kernel)");
}

int main(int argc, char **argv)
{
	struct leakd_options o;
	sigset_t mask, orig_mask;
	char err[256];

	log_init("leakd", LOG_LVL_WARN);
	if (options__parse(argc, argv, &o, err, sizeof(err))) {
		log_err("%s (see --help)", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		options__usage(stdout);
		return EXIT_OK;
	}
	if (o.version) {
		print_version();
		return EXIT_OK;
	}
	log_set_level(options__log_level(o.verbose));
	log_hook_libbpf();

	/* Signals are read from a signalfd in the event loop. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &orig_mask);
	signal(SIGPIPE, SIG_IGN);

	if (o.mode != MODE_DAEMON)
		return adhoc__run(&o, &orig_mask);

	/* The daemon: the configuration file, then the command line over it. */
	{
		struct leakd_options c;
		int rc;

		if (options__daemon(argc, argv, o.config, strcmp(o.config, LEAKD_CONFIG_PATH),
				    &c, err, sizeof(err))) {
			log_err("%s", err);
			options__free(&c);
			return EXIT_USAGE;
		}
		rc = c.release ? daemon__release(&c) :
				 daemon__run(argc, argv, &c, control__handle, metrics__handle);
		options__free(&c);
		return rc;
	}
}
