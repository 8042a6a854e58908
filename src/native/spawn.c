/*
 * Process spawning without fork(): libuv forks the engine to start a child, and fork copies the
 * page tables of the whole Node process (4 ms at 60 MB RSS, 10 ms at 360 MB, with the event loop
 * stopped), on every conmon and CNI plugin of a container's start. glibc's posix_spawn uses
 * clone(CLONE_VM | CLONE_VFORK): the child shares the parent's memory until it execs.
 *
 * spawn(file, argv, envp, cwd, fds, setsid, onExit) -> pid
 *   fds[i] is the parent's descriptor that becomes the child's descriptor i (-1: /dev/null);
 *   every other descriptor is closed in the child. Signal dispositions are reset and the signal
 *   mask cleared, as libuv does. A failed exec is thrown (code = errno name). onExit(code, signal)
 *   is called once the child is reaped, by a thread of its own blocked in waitpid on that pid
 *   only (libuv reaps only the pids it spawned, so nothing else takes it).
 * socketpair() -> [a, b]: a connected AF_UNIX stream pair, close-on-exec, as libuv makes for stdio pipes.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

const char *minke_errno_name(int e);

static napi_value throw_code(napi_env env, int e, const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, minke_errno_name(e), msg);
  return NULL;
}

static char *str_of(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A NULL-terminated copy of a JS string array. */
static char **strv_of(napi_env env, napi_value arr) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  char **v = calloc(n + 1, sizeof *v);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    v[i] = str_of(env, e);
    if (!v[i]) v[i] = strdup("");
  }
  return v;
}

static void strv_free(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

struct reaper {
  pid_t pid;
  int status;
  napi_threadsafe_function tsfn;
};

static void call_exit(napi_env env, napi_value cb, void *ctx, void *data) {
  (void)ctx;
  struct reaper *r = data;
  if (env && cb) {
    napi_value args[2], undef;
    int st = r->status;
    if (WIFEXITED(st)) {
      napi_create_int32(env, WEXITSTATUS(st), &args[0]);
      napi_get_null(env, &args[1]);
    } else {
      napi_get_null(env, &args[0]);
      napi_create_int32(env, WIFSIGNALED(st) ? WTERMSIG(st) : 0, &args[1]);
    }
    napi_get_undefined(env, &undef);
    napi_call_function(env, undef, cb, 2, args, NULL);
  }
  free(r);
}

static void *reap(void *arg) {
  struct reaper *r = arg;
  napi_threadsafe_function tsfn = r->tsfn;
  while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR) {}
  napi_call_threadsafe_function(tsfn, r, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7) { napi_throw_type_error(env, NULL, "spawn(file, argv, envp, cwd, fds, setsid, onExit)"); return NULL; }
  char *file = str_of(env, argv[0]);
  char **args = strv_of(env, argv[1]);
  char **envp = strv_of(env, argv[2]);
  char *cwd = str_of(env, argv[3]);
  bool setsid = false;
  napi_get_value_bool(env, argv[5], &setsid);
  uint32_t nfds = 0;
  napi_get_array_length(env, argv[4], &nfds);
  int *src = malloc((nfds + 1) * sizeof *src);
  napi_value ret = NULL;
  int err = 0;
  const char *what = "spawn";
  /* Sources are first copied above the child's range, so that a dup2 into slot i never
   * overwrites a source still to be placed, and dup2(fd, fd) (which would keep close-on-exec) never happens. */
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value e;
    int32_t fd = -1;
    napi_get_element(env, argv[4], i, &e);
    napi_get_value_int32(env, e, &fd);
    src[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, (int)nfds + 3);
    if (fd >= 0 && src[i] < 0 && !err) { err = errno; what = "dup"; }
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  /* Every bit set, not sigfillset: that leaves out glibc's own two signals (32, 33), which the
   * child would then get ignored, and an ignored signal stays ignored through exec. */
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (setsid) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  for (uint32_t i = 0; i < nfds && !err; i++) {
    if (src[i] < 0) posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    else posix_spawn_file_actions_adddup2(&fa, src[i], (int)i);
  }
  posix_spawn_file_actions_addclosefrom_np(&fa, (int)nfds);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  pid_t pid = -1;
  if (!err) {
    err = strchr(file, '/') ? posix_spawn(&pid, file, &fa, &attr, args, envp) : posix_spawnp(&pid, file, &fa, &attr, args, envp);
    if (err) what = file;
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  for (uint32_t i = 0; i < nfds; i++) if (src[i] >= 0) close(src[i]);
  if (err) {
    ret = throw_code(env, err, what);
  } else {
    struct reaper *r = calloc(1, sizeof *r);
    r->pid = pid;
    napi_value name;
    napi_create_string_utf8(env, "minke-reaper", NAPI_AUTO_LENGTH, &name);
    pthread_t t;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&ta, 64 * 1024);
    if (napi_create_threadsafe_function(env, argv[6], NULL, name, 0, 1, NULL, NULL, NULL, call_exit, &r->tsfn) != napi_ok ||
        (err = pthread_create(&t, &ta, reap, r)) != 0) {
      /* Without a reaper the child would stay a zombie: wait for it here. */
      kill(pid, SIGKILL);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
      free(r);
      ret = throw_code(env, err ? err : ENOMEM, "reaper thread");
    } else {
      napi_create_int32(env, pid, &ret);
    }
    pthread_attr_destroy(&ta);
  }
  free(src); free(file); free(cwd);
  strv_free(args); strv_free(envp);
  return ret;
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return throw_code(env, errno, "socketpair");
  napi_value arr, a, b;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, sv[0], &a);
  napi_create_int32(env, sv[1], &b);
  napi_set_element(env, arr, 0, a);
  napi_set_element(env, arr, 1, b);
  return arr;
}

void minke_define_spawn(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL},
    {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
