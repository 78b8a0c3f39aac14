/* SPDX-License-Identifier: MIT
 *
 * event_actor.h: who is acting, for events whose caller does not name the actor itself (the
 * directory's changes: organisations, systems, their status and secrets, delegations, user
 * tokens, mailboxes). It is the calling thread's: the API gate sets it for each request to the
 * authenticated caller ("admin" for the admin token, a system's id, "employee:ID@CVR",
 * "cpr:..."), the CLI to "cli"; a thread that never set it (the hub's own jobs) acts as "hub".
 * Before this, every such event said "admin", whoever acted.
 *
 * Ownership: the string is copied (at most 79 bytes kept).
 */
#ifndef KV_HUB_EVENT_ACTOR_H
#define KV_HUB_EVENT_ACTOR_H

/* Sets the calling thread's actor; NULL or "" resets it to "hub". */
void kv_event_actor_set(const char *actor);
/* The calling thread's actor ("hub" when unset). Valid until the next set on this thread. */
const char *kv_event_actor(void);

#endif
