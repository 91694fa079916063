/* evalbox security battery: one static binary that attempts privileged or escaping system
 * calls and prints one line per attempt: "<name>: ok" when the call succeeded, otherwise
 * "<name>: <ERRNO> (<message>)". Built with the host gcc -static (tests/security/images.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/if_ether.h>

static const char *errname(int e) {
    switch (e) {
    case EPERM: return "EPERM"; case EACCES: return "EACCES"; case ENOSYS: return "ENOSYS";
    case ESRCH: return "ESRCH"; case EINVAL: return "EINVAL"; case EROFS: return "EROFS";
    case ENOENT: return "ENOENT"; case ECONNREFUSED: return "ECONNREFUSED"; case EXDEV: return "EXDEV";
    case EAGAIN: return "EAGAIN"; case ENETUNREACH: return "ENETUNREACH"; case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT"; case ENOTSUP: return "ENOTSUP"; case EBADF: return "EBADF";
    case EFAULT: return "EFAULT"; case ENOMEM: return "ENOMEM"; case EEXIST: return "EEXIST";
    default: return "E?";
    }
}

static void report(const char *name, long rc) {
    if (rc >= 0) printf("%s: ok\n", name);
    else printf("%s: %s (%s)\n", name, errname(errno), strerror(errno));
    fflush(stdout);
}

static void *sleeper(void *arg) { (void)arg; sleep(60); return NULL; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: probe <attack> [args]\n"); return 64; }
    const char *what = argv[1];
    if (!strcmp(what, "ids")) {
        printf("ids: uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
        report("setuid0", setuid(0));
        report("setgid0", setgid(0));
        return 0;
    }
    if (!strcmp(what, "raw")) {
        report("raw-icmp", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
        report("raw-tcp", socket(AF_INET, SOCK_RAW, IPPROTO_TCP));
        report("packet", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
        return 0;
    }
    if (!strcmp(what, "abstract") && argc > 2) {  /* connect to an abstract unix socket of the host */
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(argv[2]);
        memcpy(addr.sun_path + 1, argv[2], len);
        report("abstract-connect", connect(fd, (struct sockaddr *)&addr, sizeof(sa_family_t) + 1 + len));
        return 0;
    }
    if (!strcmp(what, "unix-socket") && argc > 2) {  /* leave a socket file at argv[2] */
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strncpy(addr.sun_path, argv[2], sizeof(addr.sun_path) - 1);
        report("unix-socket", bind(fd, (struct sockaddr *)&addr, sizeof(addr)));
        return 0;
    }
    if (!strcmp(what, "host-pid") && argc > 2) {  /* reach a process by its host pid */
        pid_t pid = (pid_t)atoi(argv[2]);
        char buf[16];
        struct iovec local = {buf, sizeof(buf)}, remote = {(void *)0x400000, sizeof(buf)};
        report("kill-host-pid", kill(pid, 0));
        report("ptrace-host-pid", ptrace(PTRACE_ATTACH, pid, NULL, NULL));
        report("vm-read-host-pid", process_vm_readv(pid, &local, 1, &remote, 1, 0));
        return 0;
    }
    if (!strcmp(what, "kernel")) {
        char image[64] = {0};
        report("init-module", syscall(SYS_init_module, image, sizeof(image), ""));
        int fd = open("/bin/busybox", O_RDONLY);
        report("finit-module", syscall(SYS_finit_module, fd, "", 0));
        report("delete-module", syscall(SYS_delete_module, "ext4", O_NONBLOCK));
        report("keyctl", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "evalbox"));
        report("add-key", syscall(SYS_add_key, "user", "evalbox", "x", 1, KEY_SPEC_SESSION_KEYRING));
        report("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0));
        report("perf-event-open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
        report("iopl", syscall(SYS_iopl, 3));
        report("swapoff", syscall(SYS_swapoff, "/dev/null"));
        /* The "shocker" escape: open_by_handle_at needs CAP_DAC_READ_SEARCH. */
        struct { unsigned int bytes; int type; unsigned char h[8]; } handle = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
        report("open-by-handle-at", syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY));
        return 0;
    }
    if (!strcmp(what, "system")) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);  /* setting the clock to its own value: harmless if allowed */
        report("clock-settime", clock_settime(CLOCK_REALTIME, &now));
        struct timeval tv = {now.tv_sec, 0};
        report("settimeofday", settimeofday(&tv, NULL));
        report("sethostname", sethostname("evil", 4));
        report("mount-tmpfs", mount("none", "/tmp", "tmpfs", 0, ""));
        report("remount-root-rw", mount(NULL, "/", NULL, MS_REMOUNT, NULL));
        report("umount-mnt-in", umount2("/mnt/in", MNT_DETACH));
        report("chroot", chroot("/tmp"));
        report("mknod-char", mknod("/tmp/evil-null", S_IFCHR | 0666, makedev(1, 3)));
        report("mknod-block", mknod("/tmp/evil-disk", S_IFBLK | 0666, makedev(8, 0)));
        report("unshare-user", unshare(CLONE_NEWUSER));
        report("unshare-mount", unshare(CLONE_NEWNS));
        report("unshare-net", unshare(CLONE_NEWNET));
        return 0;
    }
    if (!strcmp(what, "threads") && argc > 2) {
        int wanted = atoi(argv[2]), created = 0;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 65536);
        for (; created < wanted; created++) {
            pthread_t thread;
            int rc = pthread_create(&thread, &attr, sleeper, NULL);
            if (rc) { printf("threads: %d created, then %s\n", created, strerror(rc)); return 0; }
        }
        printf("threads: %d created\n", created);
        return 0;
    }
    if (!strcmp(what, "deep") && argc > 3) {  /* nest argv[3] directories "d" under argv[2] */
        int fd = open(argv[2], O_RDONLY | O_DIRECTORY), levels = 0, wanted = atoi(argv[3]);
        for (; fd >= 0 && levels < wanted; levels++) {
            if (mkdirat(fd, "d", 0755)) break;
            int child = openat(fd, "d", O_RDONLY | O_DIRECTORY);
            close(fd);
            fd = child;
        }
        printf("deep: %d levels\n", levels);
        return 0;
    }
    if (!strcmp(what, "wide") && argc > 3) {  /* argv[3] empty files in argv[2] */
        int dir = open(argv[2], O_RDONLY | O_DIRECTORY), made = 0, wanted = atoi(argv[3]);
        char name[32];
        for (; dir >= 0 && made < wanted; made++) {
            snprintf(name, sizeof name, "%d", made);
            int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0) break;
            close(fd);
        }
        printf("wide: %d files\n", made);
        return 0;
    }
    if (!strcmp(what, "byte-names") && argc > 2) {  /* one file per byte 1..255 but '/', '\n', '\r' */
        int dir = open(argv[2], O_RDONLY | O_DIRECTORY), made = 0;
        for (int b = 1; dir >= 0 && b < 256; b++) {
            if (b == '/' || b == '\n' || b == '\r' || b == '.') continue;
            char name[3] = {'n', (char)b, 0};
            int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd >= 0) { made++; if (write(fd, name, 2) != 2) made--; close(fd); }
        }
        printf("byte-names: %d files\n", made);
        return 0;
    }
    if (!strcmp(what, "sparse") && argc > 3) {  /* a sparse file of argv[3] bytes, SIGXFSZ ignored */
        signal(SIGXFSZ, SIG_IGN);
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
        report("sparse", fd < 0 ? -1 : ftruncate(fd, atoll(argv[3])));
        return 0;
    }
    fprintf(stderr, "probe: unknown attack %s\n", what);
    return 64;
}
