// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate: safe, hot upgrades of XDP and tc program chains. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tailgate.h"

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "plan",     do_plan,     "PLAN              validate and preflight; changes nothing" },
	{ "apply",    do_apply,    "PLAN              run the rollout" },
	{ "status",   do_status,   "[--json]          generations, stages, slot ids, health" },
	{ "stats",    do_stats,    "[--json]          per-stage counters and rates" },
	{ "rollback", do_rollback, "IFACE... | --all  flip back to the previous generation" },
	{ "promote",  do_promote,  "                  continue a paused rollout" },
	{ "abort",    do_abort,    "                  roll back a paused rollout" },
	{ "history",  do_history,  "                  generations and events, newest first" },
	{ "recover",  do_recover,  "                  reconcile pins with the journal" },
	{ "detach",   do_detach,   "IFACE... | --all  remove the dispatcher and its pins" },
	{ "sandbox",  do_sandbox,  "up|down|status    demo fleet of veth interfaces" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: tailgate [-v...] [--json] VERB [ARGS]\n\nVerbs:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nExit codes: 0 done; 1 usage or plan error (nothing changed);\n"
		   "2 preflight failed (nothing changed); 3 rolled back; 4 run 'tailgate recover'.\n");
}

/* The one place where outcomes become DESIGN.md's exit codes. */
static int exit_code(int err)
{
	switch (err) {
	case 0:
		return TG_EXIT_OK;
	case TG_ERR_PREFLIGHT:
		return TG_EXIT_PREFLIGHT;
	case TG_ERR_ROLLED_BACK:
		return TG_EXIT_ROLLED_BACK;
	case TG_ERR_INCONSISTENT:
		return TG_EXIT_INCONSISTENT;
	default:
		return TG_EXIT_ERROR;
	}
}

static int parse_global(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json",    no_argument, NULL, 'j' },
		{ "yes",     no_argument, NULL, 'y' },
		{ "help",    no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	/* '+': stop at the verb; verbs parse their own options. */
	while ((c = getopt_long(argc, argv, "+vjyh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			tg_opts.verbose++;
			break;
		case 'j':
			tg_opts.json = true;
			break;
		case 'y':
			tg_opts.yes = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *verb;
	size_t i;
	int err;

	err = parse_global(argc, argv);
	if (err)
		return err > 0 ? TG_EXIT_OK : TG_EXIT_ERROR;
	log__init(tg_opts.verbose);
	if (optind >= argc) {
		usage(stderr);
		return TG_EXIT_ERROR;
	}
	verb = argv[optind];
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(verb, cmds[i].name))
			continue;
		argc -= optind;
		argv += optind;
		/* Verbs see argv[0] = verb; 0 makes glibc's getopt start over. */
		optind = 0;
		return exit_code(cmds[i].func(argc, argv));
	}
	fprintf(stderr, "tailgate: unknown verb '%s'; see 'tailgate --help'\n", verb);
	return TG_EXIT_ERROR;
}
