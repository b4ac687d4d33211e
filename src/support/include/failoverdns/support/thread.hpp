// For the threads the DNS plane starts (listeners, forwarder): signals are
// the control plane's (its signal_set), and a thread shows its role in ps.
#pragma once

#include <pthread.h>

#include <csignal>

namespace failoverdns {

// Call first thing in a new thread: a blocked signal never interrupts its
// system calls, and is delivered to the control plane's thread instead.
inline void become_worker_thread(const char* name) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  pthread_setname_np(pthread_self(), name);  // at most 15 characters
}

}  // namespace failoverdns
