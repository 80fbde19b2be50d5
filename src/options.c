// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "leakd/events.h"
#include "options.h"
#include "util.h"

enum {
	OPT_MIN_AGE = 256,
	OPT_JSON,
	OPT_MAX_DEPTH,
	OPT_RINGBUF,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_UNWIND_ROWS,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_FRAME_POINTERS,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "top", required_argument, NULL, 'n' },
	{ "min-age", required_argument, NULL, OPT_MIN_AGE },
	{ "duration", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output", required_argument, NULL, 'o' },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "unwind-rows", required_argument, NULL, OPT_UNWIND_ROWS },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "frame-pointers", no_argument, NULL, OPT_FRAME_POINTERS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

void options__usage(FILE *f)
{
	fputs("Usage: leakd [OPTIONS] --pid PID\n"
	      "       leakd [OPTIONS] -- COMMAND [ARG...]\n"
	      "\n"
	      "Trace the allocations of a running process, or of a command from its start,\n"
	      "and report the call stacks that hold outstanding (unfreed) memory.\n"
	      "\n"
	      "Options:\n"
	      "  -p, --pid PID            trace the running process PID\n"
	      "  -i, --interval DURATION  report every DURATION (default 10s; 0: final only)\n"
	      "  -n, --top N              stacks per report (default 10; 0: all)\n"
	      "      --min-age DURATION   only allocations at least this old (default 0)\n"
	      "  -d, --duration DURATION  stop after DURATION\n"
	      "      --json               reports as JSON, one object per line\n"
	      "  -o, --output FILE        write reports to FILE instead of standard output\n"
	      "      --max-depth N        frames per stack (default 64, at most 128)\n"
	      "      --ringbuf-size SIZE  kernel-to-leakd buffer (default 16M)\n"
	      "      --max-allocs N       live allocations kept (default 16777216)\n"
	      "      --max-stacks N       distinct stacks kept (default 262144)\n"
	      "      --unwind-rows N      unwind table rows the kernel holds (default 2097152,\n"
	      "                           8 bytes each)\n"
	      "      --cache-dir DIR      keep built unwind tables in DIR\n"
	      "                           (default /var/cache/leakd)\n"
	      "      --no-cache           build unwind tables afresh, keep none\n"
	      "      --frame-pointers     walk stacks by frame pointers only, without unwind\n"
	      "                           tables (cheaper, right only for code built with them)\n"
	      "  -v, --verbose            more messages; twice for libbpf's\n"
	      "  -h, --help               show this help\n"
	      "  -V, --version            show the version and the kernel features in use\n"
	      "\n"
	      "DURATION: a number with a unit: ms, s, m, h, d (a bare number is seconds).\n"
	      "SIZE: bytes, or a number with K, M or G.\n"
	      "Exit status: 0 done, 1 runtime failure, 2 bad arguments, 3 not permitted,\n"
	      "4 kernel feature missing, 5 no such process, 6 no allocator in the process,\n"
	      "7 the command could not be started.  See leakd(8).\n",
	      f);
}

void options__defaults(struct leakd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_DAEMON;
	o->interval_ns = 10 * NSEC_PER_SEC;
	o->top = 10;
	o->max_depth = LEAKD_DEFAULT_FRAMES;
	o->ringbuf_bytes = 16 << 20;
	o->max_allocs = 16 << 20;
	o->max_stacks = 256 << 10;
	o->unwind_rows = 2 << 20;
	o->cache_dir = "/var/cache/leakd";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int options__parse(int argc, char **argv, struct leakd_options *o, char *err, size_t errlen)
{
	uint64_t v;
	int c;

	options__defaults(o);
	optind = 0;		/* restart getopt: parse may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:i:n:d:o:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 1, INT32_MAX, &v))
				return fail(err, errlen, "invalid pid '%s'", optarg);
			o->pid = v;
			o->mode = MODE_PID;
			break;
		case 'i':
			if (parse_duration(optarg, &o->interval_ns))
				return fail(err, errlen, "invalid interval '%s'", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, 0, UINT32_MAX, &v))
				return fail(err, errlen, "invalid --top '%s'", optarg);
			o->top = v;
			break;
		case OPT_MIN_AGE:
			if (parse_duration(optarg, &o->min_age_ns))
				return fail(err, errlen, "invalid --min-age '%s'", optarg);
			break;
		case 'd':
			if (parse_duration(optarg, &o->duration_ns) || !o->duration_ns)
				return fail(err, errlen, "invalid --duration '%s'", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_MAX_DEPTH:
			if (parse_u64(optarg, 1, LEAKD_MAX_FRAMES, &v))
				return fail(err, errlen, "invalid --max-depth '%s' (1 to %d)", optarg,
					    LEAKD_MAX_FRAMES);
			o->max_depth = v;
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &v) || v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
				return fail(err, errlen,
					    "invalid --ringbuf-size '%s' (a power of two, 4K to 1G)",
					    optarg);
			o->ringbuf_bytes = v;
			break;
		case OPT_MAX_ALLOCS:
			if (parse_u64(optarg, 1, 1ULL << 32, &v))
				return fail(err, errlen, "invalid --max-allocs '%s'", optarg);
			o->max_allocs = v;
			break;
		case OPT_MAX_STACKS:
			if (parse_u64(optarg, 1, 1ULL << 24, &v))
				return fail(err, errlen, "invalid --max-stacks '%s'", optarg);
			o->max_stacks = v;
			break;
		case OPT_UNWIND_ROWS:
			if (parse_u64(optarg, 1024, 1ULL << 26, &v))
				return fail(err, errlen, "invalid --unwind-rows '%s' (1024 to %llu)",
					    optarg, 1ULL << 26);
			o->unwind_rows = v;
			break;
		case OPT_CACHE_DIR:
			o->cache_dir = optarg;
			break;
		case OPT_NO_CACHE:
			o->cache_dir = NULL;
			break;
		case OPT_FRAME_POINTERS:
			o->frame_pointers = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = true;
			return 0;
		case 'V':
			o->version = true;
			return 0;
		case ':':
			return fail(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return fail(err, errlen, "unknown option '-%c'", optopt);
			return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc && optind > 1 && !strcmp(argv[optind - 1], "--"))
		return fail(err, errlen, "no command after --");
	if (optind < argc) {
		/* getopt stops at "--" or at the first operand: both start the command. */
		if (optind == 0 || strcmp(argv[optind - 1], "--"))
			return fail(err, errlen, "unexpected argument '%s' (a command goes after --)",
				    argv[optind]);
		if (o->mode == MODE_PID)
			return fail(err, errlen, "--pid and a command exclude each other");
		o->command = argv + optind;
		o->mode = MODE_COMMAND;
	}
	return 0;
}
