/* SPDX-License-Identifier: ISC */
/*
 * The fixed words of the log lines that people, their tools and the
 * tests look for. The master writes them from here and the tests wait
 * for them from here, so that rewording one is one change.
 */
#ifndef PREFORK_MESSAGES_H
#define PREFORK_MESSAGES_H

#define MSG_SPAWNED		") spawned"
#define MSG_STOPPING_WORKER	"stopping worker"
#define MSG_ROLL_DONE		"rolling restart done"
#define MSG_ROLL_CHANGED						\
	"the workers' command, environment or sockets changed: rolling "	\
	"restart"
#define MSG_POOL_READY		"pool ready"
#define MSG_RECEIVED		"received"
#define MSG_KEEPING		"keeping the running configuration"
#define MSG_EXITING		"exiting with status"
#define MSG_FIRST_FAILED						\
	"every worker of the first generation failed to boot"
#define MSG_NO_PROCESS		"no worker could be started"
#define MSG_DIED_YOUNG		"exited before min_uptime"
#define MSG_REPLACEMENT_FAILED	"replacement failed"
#define MSG_STARTING_AGAIN	"starting again in"
#define MSG_OOM_KILLED		"killed by the OOM killer"
#define MSG_WORKER_CGROUPS	"worker cgroups"

#endif /* PREFORK_MESSAGES_H */
