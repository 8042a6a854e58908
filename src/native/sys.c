/*
 * The few system calls Node does not expose and the engine needs on its hot path or for layer
 * contents: mount/umount2 (overlay rootfs), mknod (overlay whiteouts, device nodes in layers) and
 * extended attributes (opaque directories, security.capability in layers), and network namespaces
 * made ahead of a container (so that its networking is set up while runc creates it); spawn.c adds
 * process spawning without fork. Loaded as a N-API
 * addon; errors are thrown as Error objects with `code` set to the errno name.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

const char *minke_errno_name(int e);
void minke_define_spawn(napi_env env, napi_value exports);

const char *minke_errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL"; case EBUSY: return "EBUSY"; case ENOTDIR: return "ENOTDIR";
  case EACCES: return "EACCES"; case ENODATA: return "ENODATA"; case ENOTSUP: return "ENOTSUP";
  case ERANGE: return "ERANGE"; case ENOSPC: return "ENOSPC"; case EROFS: return "EROFS";
  case ENODEV: return "ENODEV"; case E2BIG: return "E2BIG"; case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOEXEC: return "ENOEXEC"; case EMFILE: return "EMFILE"; case EAGAIN: return "EAGAIN"; case ENOMEM: return "ENOMEM";
  default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, const char *call, const char *path) {
  int e = errno;
  char msg[4352];
  snprintf(msg, sizeof msg, "%s %s: %s", call, path ? path : "", strerror(e));
  napi_throw_error(env, minke_errno_name(e), msg);
  return NULL;
}

/* Returns a malloc'd copy of a string argument, or NULL for null/undefined. */
static char *get_str(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_string) return NULL;
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *src = get_str(env, argv[0]), *target = get_str(env, argv[1]), *fstype = get_str(env, argv[2]);
  double flags = 0;
  napi_get_value_double(env, argv[3], &flags);
  char *data = get_str(env, argv[4]);
  int r = mount(src, target, fstype, (unsigned long)flags, data);
  napi_value ret = NULL;
  if (r != 0) ret = throw_errno(env, "mount", target);
  free(src); free(target); free(fstype); free(data);
  return ret;
}

static napi_value js_umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *target = get_str(env, argv[0]);
  int32_t flags = 0;
  if (argc > 1) napi_get_value_int32(env, argv[1], &flags);
  int r = umount2(target, flags);
  napi_value ret = NULL;
  if (r != 0) ret = throw_errno(env, "umount", target);
  free(target);
  return ret;
}

static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]);
  uint32_t mode = 0, major = 0, minor = 0;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &major);
  napi_get_value_uint32(env, argv[3], &minor);
  int r = mknod(path, mode, makedev(major, minor));
  napi_value ret = NULL;
  if (r != 0) ret = throw_errno(env, "mknod", path);
  free(path);
  return ret;
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]), *name = get_str(env, argv[1]);
  void *data; size_t len;
  napi_get_buffer_info(env, argv[2], &data, &len);
  int r = lsetxattr(path, name, data, len, 0);
  napi_value ret = NULL;
  if (r != 0) ret = throw_errno(env, "lsetxattr", path);
  free(path); free(name);
  return ret;
}

/* Returns the value as a Buffer, or null when the attribute is absent. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]), *name = get_str(env, argv[1]);
  napi_value ret = NULL;
  ssize_t n = lgetxattr(path, name, NULL, 0);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) napi_get_null(env, &ret);
    else ret = throw_errno(env, "lgetxattr", path);
  } else {
    void *buf;
    napi_create_buffer(env, n, &buf, &ret);
    if (n > 0 && lgetxattr(path, name, buf, n) < 0) ret = throw_errno(env, "lgetxattr", path);
  }
  free(path); free(name);
  return ret;
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]);
  napi_value arr;
  napi_create_array(env, &arr);
  ssize_t n = llistxattr(path, NULL, 0);
  if (n < 0) {
    napi_value ret = (errno == ENOTSUP) ? arr : throw_errno(env, "llistxattr", path);
    free(path);
    return ret;
  }
  char *buf = malloc(n + 1);
  n = n > 0 ? llistxattr(path, buf, n) : 0;
  uint32_t i = 0;
  for (ssize_t off = 0; off < n; off += strlen(buf + off) + 1) {
    napi_value s;
    napi_create_string_utf8(env, buf + off, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i++, s);
  }
  free(buf); free(path);
  return arr;
}

struct netns_job {
  const char *path;
  int err;
  const char *call;
};

/* Runs on its own thread: only that thread enters the new namespace, which the bind mount keeps. */
static void *netns_thread(void *arg) {
  struct netns_job *job = arg;
  if (unshare(CLONE_NEWNET) < 0) { job->err = errno; job->call = "unshare"; return NULL; }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) { job->err = errno; job->call = "SIOCSIFFLAGS lo"; }
    }
    close(s);
  }
  if (job->err) return NULL;
  char self[64];
  snprintf(self, sizeof self, "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
  if (mount(self, job->path, NULL, MS_BIND, NULL) < 0) { job->err = errno; job->call = "mount"; }
  return NULL;
}

/* netnsCreate(path): a new network namespace with loopback up, bind-mounted on path (made if missing). */
static napi_value js_netns_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]);
  napi_value ret = NULL;
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) { ret = throw_errno(env, "open", path); free(path); return ret; }
  close(fd);
  struct netns_job job = { path, 0, NULL };
  pthread_t t;
  int e = pthread_create(&t, NULL, netns_thread, &job);
  if (e) { job.err = e; job.call = "pthread_create"; }
  else pthread_join(t, NULL);
  if (job.err) {
    errno = job.err;
    ret = throw_errno(env, job.call, path);
    unlink(path);
  }
  free(path);
  return ret;
}

/* x32Abi(): whether the kernel runs x32 system calls (Debian kernels disable them unless booted
 * with syscall.x32=y). A seccomp filter need not cover an ABI the kernel refuses anyway. */
static napi_value js_x32_abi(napi_env env, napi_callback_info info) {
  (void)info;
  int on = 0;
#ifdef __x86_64__
  errno = 0;
  long r = syscall(0x40000000L | SYS_getpid);
  on = !(r == -1 && errno == ENOSYS);
#endif
  napi_value ret;
  napi_get_boolean(env, on, &ret);
  return ret;
}

/* mallocTrim(): hands the C heap's free pages back to the kernel (glibc's malloc_trim). The
 * engine calls it when idle: pages freed by libuv's worker threads otherwise stay resident. */
static napi_value js_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value ret;
#ifdef __GLIBC__
  napi_get_boolean(env, malloc_trim(0) != 0, &ret);
#else
  napi_get_boolean(env, 0, &ret);
#endif
  return ret;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mount", NULL, js_mount, NULL, NULL, NULL, napi_default, NULL},
    {"umount", NULL, js_umount, NULL, NULL, NULL, napi_default, NULL},
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
    {"netnsCreate", NULL, js_netns_create, NULL, NULL, NULL, napi_default, NULL},
    {"x32Abi", NULL, js_x32_abi, NULL, NULL, NULL, napi_default, NULL},
    {"mallocTrim", NULL, js_malloc_trim, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  minke_define_spawn(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
