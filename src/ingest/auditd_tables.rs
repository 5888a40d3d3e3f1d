//! Lookup tables for auditd: ECS categorization by syscall and record type, log source names
//! and syscall numbers.

/// The ECS categorization of a syscall or record type, after go-libaudit's `aucoalesce`
/// normalizations (which Auditbeat's auditd module reports).
pub(super) struct Normalization {
    pub action: &'static str,
    pub category: &'static [&'static str],
    pub kind: &'static [&'static str],
}

const fn norm(
    action: &'static str,
    category: &'static [&'static str],
    kind: &'static [&'static str],
) -> Normalization {
    Normalization {
        action,
        category,
        kind,
    }
}

pub(super) const PROCESS: &[&str] = &["process"];
const FILE: &[&str] = &["file"];
const NETWORK: &[&str] = &["network"];
const AUTH: &[&str] = &["authentication"];
const IAM: &[&str] = &["iam"];
const HOST: &[&str] = &["host"];
const CONFIG: &[&str] = &["configuration"];
const PROCESS_CONFIG: &[&str] = &["process", "configuration"];
const DRIVER: &[&str] = &["driver"];

/// Normalizations by syscall name.
pub(super) const SYSCALL_NORMALIZATIONS: &[(&[&str], Normalization)] = &[
    (
        &["execve", "execveat"],
        norm("executed", PROCESS, &["start"]),
    ),
    (
        &["connect"],
        norm("connected-to", NETWORK, &["connection", "start"]),
    ),
    (
        &["accept", "accept4"],
        norm(
            "accepted-connection-from",
            NETWORK,
            &["connection", "start"],
        ),
    ),
    (&["bind"], norm("bound-socket", NETWORK, &["start"])),
    (
        &["listen"],
        norm("listen-for-connections", NETWORK, &["start"]),
    ),
    (
        &["sendto", "sendmsg", "sendmmsg"],
        norm("sent-to", NETWORK, &["connection", "info"]),
    ),
    (
        &["recvfrom", "recvmsg", "recvmmsg"],
        norm("received-from", NETWORK, &["connection", "info"]),
    ),
    (&["creat"], norm("opened-file", FILE, &["creation"])),
    (
        &["open", "openat", "openat2", "readlink", "readlinkat"],
        norm("opened-file", FILE, &["info"]),
    ),
    (
        &["truncate", "ftruncate", "fallocate"],
        norm("opened-file", FILE, &["change"]),
    ),
    (&["write"], norm("wrote-to-file", FILE, &["change"])),
    (
        &["unlink", "unlinkat", "rmdir"],
        norm("deleted", FILE, &["deletion"]),
    ),
    (
        &["rename", "renameat", "renameat2"],
        norm("renamed", FILE, &["change"]),
    ),
    (
        &["chmod", "fchmod", "fchmodat"],
        norm("changed-file-permissions-of", FILE, &["change"]),
    ),
    (
        &["chown", "fchown", "fchownat", "lchown"],
        norm("changed-file-ownership-of", FILE, &["change"]),
    ),
    (
        &[
            "setxattr",
            "lsetxattr",
            "fsetxattr",
            "removexattr",
            "lremovexattr",
            "fremovexattr",
        ],
        norm("changed-file-attributes-of", FILE, &["change"]),
    ),
    (
        &["mkdir", "mkdirat"],
        norm("created-directory", FILE, &["creation"]),
    ),
    (
        &["symlink", "symlinkat"],
        norm("symlinked", FILE, &["creation"]),
    ),
    (
        &["mknod", "mknodat"],
        norm("make-device", FILE, &["creation"]),
    ),
    (&["mount"], norm("mounted", FILE, &["creation"])),
    (&["umount2"], norm("unmounted", FILE, &["deletion"])),
    (
        &["init_module", "finit_module"],
        norm("loaded-kernel-module", DRIVER, &["start"]),
    ),
    (
        &["delete_module"],
        norm("unloaded-kernel-module", DRIVER, &["end"]),
    ),
    (
        &["kill", "tkill", "tgkill"],
        norm("killed-pid", PROCESS, &["end"]),
    ),
    (
        &[
            "setuid",
            "setgid",
            "setreuid",
            "setregid",
            "setresuid",
            "setresgid",
            "setfsuid",
            "setfsgid",
        ],
        norm("changed-identity-of", PROCESS, &["change"]),
    ),
    (
        &["settimeofday", "clock_settime", "adjtimex"],
        norm("changed-system-time", HOST, &["change"]),
    ),
    (
        &["sethostname", "setdomainname"],
        norm("changed-system-name", HOST, &["change"]),
    ),
    (
        &["mmap", "brk"],
        norm("allocated-memory", PROCESS, &["info"]),
    ),
];

/// Normalizations by record type, for events without a SYSCALL record.
pub(super) const RECORD_NORMALIZATIONS: &[(&str, Normalization)] = &[
    ("USER_AUTH", norm("authenticated", AUTH, &["info"])),
    ("USER_ACCT", norm("was-authorized", AUTH, &["info"])),
    ("USER_LOGIN", norm("logged-in", AUTH, &["start"])),
    ("USER_LOGOUT", norm("logged-out", AUTH, &["end"])),
    ("USER_START", norm("started-session", AUTH, &["info"])),
    ("USER_END", norm("ended-session", AUTH, &["info"])),
    ("USER_ERR", norm("error", AUTH, &["info"])),
    ("CRED_ACQ", norm("acquired-credentials", AUTH, &["info"])),
    ("CRED_DISP", norm("disposed-credentials", AUTH, &["info"])),
    ("CRED_REFR", norm("refreshed-credentials", AUTH, &["info"])),
    ("LOGIN", norm("changed-login-id-to", AUTH, &["start"])),
    ("USER_CMD", norm("ran-command", PROCESS, &["start"])),
    ("USER_ROLE_CHANGE", norm("changed-role-to", AUTH, &["info"])),
    (
        "ADD_USER",
        norm("added-user-account", IAM, &["user", "creation"]),
    ),
    (
        "DEL_USER",
        norm("deleted-user-account", IAM, &["user", "deletion"]),
    ),
    (
        "ADD_GROUP",
        norm("added-group-account-to", IAM, &["group", "creation"]),
    ),
    (
        "DEL_GROUP",
        norm("deleted-group-account-from", IAM, &["group", "deletion"]),
    ),
    (
        "USER_MGMT",
        norm("modified-user-account", IAM, &["user", "change"]),
    ),
    (
        "GRP_MGMT",
        norm("modified-group-account", IAM, &["group", "change"]),
    ),
    (
        "USER_CHAUTHTOK",
        norm("changed-password", IAM, &["user", "change"]),
    ),
    (
        "CONFIG_CHANGE",
        norm("changed-audit-configuration", PROCESS_CONFIG, &["change"]),
    ),
    (
        "DAEMON_CONFIG",
        norm("changed-auditd-configuration", PROCESS_CONFIG, &["change"]),
    ),
    ("DAEMON_START", norm("started-audit", PROCESS, &["start"])),
    ("DAEMON_END", norm("shutdown-audit", PROCESS, &["stop"])),
    (
        "DAEMON_ABORT",
        norm("aborted-auditd-startup", PROCESS, &["stop"]),
    ),
    (
        "SERVICE_START",
        norm("started-service", PROCESS, &["start"]),
    ),
    ("SERVICE_STOP", norm("stopped-service", PROCESS, &["stop"])),
    ("SYSTEM_BOOT", norm("booted-system", HOST, &["start"])),
    (
        "SYSTEM_RUNLEVEL",
        norm("changed-to-runlevel", HOST, &["change"]),
    ),
    ("SYSTEM_SHUTDOWN", norm("shutdown-system", HOST, &["end"])),
    (
        "USYS_CONFIG",
        norm("changed-configuration", CONFIG, &["change"]),
    ),
    (
        "NETFILTER_CFG",
        norm("loaded-firewall-rule-to", CONFIG, &["change"]),
    ),
    (
        "KERN_MODULE",
        norm("loaded-kernel-module", DRIVER, &["start"]),
    ),
    ("TTY", norm("typed", PROCESS, &["info"])),
    ("USER_TTY", norm("typed", PROCESS, &["info"])),
];

/// Record types that only add detail to an event's main record.
pub(super) const SECONDARY_TYPES: &[&str] = &[
    "EXECVE",
    "CWD",
    "PATH",
    "PROCTITLE",
    "SOCKADDR",
    "BPRM_FCAPS",
    "MMAP",
    "OBJ_PID",
    "FD_PAIR",
    "IPC",
    "NETFILTER_PKT",
];

/// Record types whose ATT&CK log source name differs from `auditd:<TYPE>`: ATT&CK files
/// USER_AUTH under `auditd:USER_LOGIN` (as the channel of that log source).
pub(super) const LOG_SOURCE_OVERRIDES: &[(&str, &str)] = &[("USER_AUTH", "auditd:USER_LOGIN")];

/// Syscalls that can create a file. An event of one of them whose PATH records include a
/// `nametype=CREATE` entry created that file. `mkdir` is left out because it creates a
/// directory, and `bind` because the file it creates is a socket.
pub(super) const FILE_CREATING_SYSCALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "mknod",
    "mknodat",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "rename",
    "renameat",
    "renameat2",
];

/// Syscall names by number for the architectures auditd names in `arch=`.
///
/// NOTE: only syscalls that the normalizations or common detections use are listed; other
/// numbers stay as numbers in `auditd.data.syscall`.
const SYSCALLS_X86_64: &[(u32, &str)] = &[
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (9, "mmap"),
    (10, "mprotect"),
    (12, "brk"),
    (41, "socket"),
    (42, "connect"),
    (43, "accept"),
    (44, "sendto"),
    (45, "recvfrom"),
    (46, "sendmsg"),
    (47, "recvmsg"),
    (49, "bind"),
    (50, "listen"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (62, "kill"),
    (76, "truncate"),
    (77, "ftruncate"),
    (82, "rename"),
    (83, "mkdir"),
    (84, "rmdir"),
    (85, "creat"),
    (86, "link"),
    (87, "unlink"),
    (88, "symlink"),
    (89, "readlink"),
    (90, "chmod"),
    (91, "fchmod"),
    (92, "chown"),
    (93, "fchown"),
    (94, "lchown"),
    (101, "ptrace"),
    (105, "setuid"),
    (106, "setgid"),
    (113, "setreuid"),
    (114, "setregid"),
    (117, "setresuid"),
    (119, "setresgid"),
    (122, "setfsuid"),
    (123, "setfsgid"),
    (133, "mknod"),
    (157, "prctl"),
    (159, "adjtimex"),
    (161, "chroot"),
    (164, "settimeofday"),
    (165, "mount"),
    (166, "umount2"),
    (170, "sethostname"),
    (171, "setdomainname"),
    (175, "init_module"),
    (176, "delete_module"),
    (188, "setxattr"),
    (189, "lsetxattr"),
    (190, "fsetxattr"),
    (197, "removexattr"),
    (198, "lremovexattr"),
    (199, "fremovexattr"),
    (200, "tkill"),
    (227, "clock_settime"),
    (231, "exit_group"),
    (234, "tgkill"),
    (246, "kexec_load"),
    (257, "openat"),
    (258, "mkdirat"),
    (259, "mknodat"),
    (260, "fchownat"),
    (263, "unlinkat"),
    (264, "renameat"),
    (265, "linkat"),
    (266, "symlinkat"),
    (268, "fchmodat"),
    (272, "unshare"),
    (288, "accept4"),
    (308, "setns"),
    (310, "process_vm_readv"),
    (311, "process_vm_writev"),
    (313, "finit_module"),
    (316, "renameat2"),
    (320, "kexec_file_load"),
    (321, "bpf"),
    (322, "execveat"),
    (437, "openat2"),
];

const SYSCALLS_AARCH64: &[(u32, &str)] = &[
    (33, "mknodat"),
    (34, "mkdirat"),
    (35, "unlinkat"),
    (36, "symlinkat"),
    (37, "linkat"),
    (38, "renameat"),
    (39, "umount2"),
    (40, "mount"),
    (53, "fchmodat"),
    (54, "fchownat"),
    (56, "openat"),
    (93, "exit"),
    (94, "exit_group"),
    (105, "init_module"),
    (106, "delete_module"),
    (117, "ptrace"),
    (129, "kill"),
    (144, "setgid"),
    (146, "setuid"),
    (198, "socket"),
    (200, "bind"),
    (201, "listen"),
    (202, "accept"),
    (203, "connect"),
    (206, "sendto"),
    (211, "sendmsg"),
    (220, "clone"),
    (221, "execve"),
    (222, "mmap"),
    (226, "mprotect"),
    (242, "accept4"),
    (273, "finit_module"),
    (276, "renameat2"),
    (281, "execveat"),
    (437, "openat2"),
];

/// Returns the architecture name and syscall table of an `arch=` value (`AUDIT_ARCH_*`).
pub(super) fn architecture(arch: &str) -> Option<(&'static str, &'static [(u32, &'static str)])> {
    match arch.to_ascii_lowercase().as_str() {
        "c000003e" | "x86_64" => Some(("x86_64", SYSCALLS_X86_64)),
        "c00000b7" | "aarch64" => Some(("aarch64", SYSCALLS_AARCH64)),
        "40000003" | "i386" => Some(("i386", &[])),
        _ => None,
    }
}

/// Returns the syscall name, or the number as text when the table does not list it.
pub(super) fn syscall_name(arch: Option<&str>, number: &str) -> String {
    let table = arch.and_then(architecture).map(|(_, table)| table);
    let known = number
        .parse::<u32>()
        .ok()
        .and_then(|n| table?.iter().find(|(id, _)| *id == n))
        .map(|(_, name)| *name);
    known.unwrap_or(number).to_owned()
}
