//! sshd checks: the effective configuration with Include drop-ins, first value wins and Match
//! blocks, then one pass and one fail per check.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

const DROP_INS: &str = "Include /etc/ssh/sshd_config.d/*.conf\n";

pub const CASES: &[Case] = &[
    // Effective configuration semantics, on PermitRootLogin.
    case("PPC-SSH-001", Na, "no OpenSSH server installed", |_| {}),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config:1: PermitRootLogin no", |f| {
        f.sshd("PermitRootLogin no\n");
    }),
    case("PPC-SSH-001", Fail, "PermitRootLogin prohibit-password (sshd default", |f| {
        f.sshd("# nothing set\n");
    }),
    case(
        "PPC-SSH-001",
        Fail,
        "PermitRootLogin prohibit-password (sshd default: /etc/ssh/sshd_config does not exist)",
        |f| {
            f.install(&["openssh-server"]);
        },
    ),
    case("PPC-SSH-001", Fail, "/etc/ssh/sshd_config.d/50-x.conf:3: PermitRootLogin yes", |f| {
        f.sshd(&format!("{DROP_INS}PermitRootLogin no\n"));
        f.write("/etc/ssh/sshd_config.d/50-x.conf", "# cloud image\n\nPermitRootLogin yes\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config.d/10-a.conf:1: PermitRootLogin no", |f| {
        f.sshd(&format!("{DROP_INS}PermitRootLogin yes\n"));
        f.write("/etc/ssh/sshd_config.d/10-a.conf", "PermitRootLogin no\n");
        f.write("/etc/ssh/sshd_config.d/20-b.conf", "PermitRootLogin yes\n");
        f.write("/etc/ssh/sshd_config.d/30-ignored.conf.bak", "PermitRootLogin yes\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config:1: PermitRootLogin no", |f| {
        f.sshd("PermitRootLogin no\nMatch User backup\n    PermitRootLogin yes\n");
    }),
    case("PPC-SSH-001", Fail, "PermitRootLogin prohibit-password (sshd default", |f| {
        f.sshd("Match Address 10.0.0.0/8\n    PermitRootLogin no\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config:2: PermitRootLogin no", |f| {
        f.sshd(&format!("{DROP_INS}PermitRootLogin no\n"));
        f.write("/etc/ssh/sshd_config.d/10-match.conf", "Match User bob\n    PermitRootLogin yes\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config:4: PermitRootLogin no", |f| {
        f.sshd("Match User bob\n    X11Forwarding yes\nMatch all\nPermitRootLogin no\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config.d/x.conf:1: permitrootlogin=no", |f| {
        f.sshd("Include sshd_config.d/*.conf\n");
        f.write("/etc/ssh/sshd_config.d/x.conf", "permitrootlogin=no\n");
    }),
    case("PPC-SSH-001", Fail, "PermitRootLogin prohibit-password (sshd default", |f| {
        f.sshd("Match User admin\n    Include /etc/ssh/admin.conf\n");
        f.write("/etc/ssh/admin.conf", "PermitRootLogin no\n");
    }),
    case("PPC-SSH-001", Pass, "/etc/ssh/sshd_config:1: PermitRootLogin \"no\"", |f| {
        f.write("/usr/sbin/sshd", "");
        f.write_mode("/etc/ssh/sshd_config", "PermitRootLogin \"no\"\n", 0o600);
    }),
    case("PPC-SSH-002", Pass, "PasswordAuthentication no", |f| {
        f.sshd("PasswordAuthentication no\n");
    }),
    case("PPC-SSH-002", Fail, "PasswordAuthentication yes (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-003", Pass, "PermitEmptyPasswords no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-003", Fail, "/etc/ssh/sshd_config:1: PermitEmptyPasswords yes", |f| {
        f.sshd("PermitEmptyPasswords yes\n");
    }),
    case("PPC-SSH-004", Pass, "MaxAuthTries 3", |f| {
        f.sshd("MaxAuthTries 3\n");
    }),
    case("PPC-SSH-004", Fail, "MaxAuthTries 6 (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-005", Pass, "effective Ciphers: chacha20-poly1305@openssh.com,aes128-ctr", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-005", Fail, "weak: aes128-cbc", |f| {
        f.sshd("Ciphers aes128-ctr,aes128-cbc\n");
    }),
    case("PPC-SSH-005", Fail, "weak: 3des-cbc", |f| {
        f.sshd("Ciphers +3des-cbc\n");
    }),
    case("PPC-SSH-006", Fail, "weak: umac-64-etm@openssh.com, umac-64@openssh.com", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-006", Pass, "/etc/ssh/sshd_config:1: MACs -umac-64*", |f| {
        f.sshd("MACs -umac-64*\n");
    }),
    case("PPC-SSH-007", Pass, "effective KexAlgorithms: sntrup761x25519-sha512@openssh.com", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-007", Fail, "weak: diffie-hellman-group1-sha1", |f| {
        f.sshd("KexAlgorithms +diffie-hellman-group1-sha1\n");
    }),
    case("PPC-SSH-008", Fail, "/etc/ssh/sshd_config:1: X11Forwarding yes", |f| {
        f.sshd("X11Forwarding yes\n");
    }),
    case("PPC-SSH-008", Pass, "X11Forwarding no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-008", Pass, "/etc/ssh/sshd_config:2: DisableForwarding yes", |f| {
        f.sshd("X11Forwarding yes\nDisableForwarding yes\n");
    }),
    case("PPC-SSH-009", Pass, "LogLevel INFO (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-009", Pass, "LogLevel VERBOSE", |f| {
        f.sshd("LogLevel VERBOSE\n");
    }),
    case("PPC-SSH-009", Fail, "LogLevel QUIET", |f| {
        f.sshd("LogLevel QUIET\n");
    }),
    case("PPC-SSH-010", Pass, "HostbasedAuthentication no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-010", Fail, "HostbasedAuthentication yes", |f| {
        f.sshd("HostbasedAuthentication yes\n");
    }),
    case("PPC-SSH-011", Pass, "IgnoreRhosts yes (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-011", Fail, "IgnoreRhosts no", |f| {
        f.sshd("IgnoreRhosts no\n");
    }),
    case("PPC-SSH-012", Pass, "PermitUserEnvironment no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-012", Fail, "PermitUserEnvironment yes", |f| {
        f.sshd("PermitUserEnvironment yes\n");
    }),
    case("PPC-SSH-013", Fail, "LoginGraceTime 120 (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-013", Pass, "LoginGraceTime 1m", |f| {
        f.sshd("LoginGraceTime 1m\n");
    }),
    case("PPC-SSH-013", Fail, "LoginGraceTime 0", |f| {
        f.sshd("LoginGraceTime 0\n");
    }),
    case("PPC-SSH-014", Fail, "ClientAliveInterval 0 (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-014", Pass, "/etc/ssh/sshd_config:1: ClientAliveInterval 15", |f| {
        f.sshd("ClientAliveInterval 15\nClientAliveCountMax 3\n");
    }),
    case("PPC-SSH-015", Fail, "UsePAM no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-015", Pass, "UsePAM yes", |f| {
        f.sshd("UsePAM yes\n");
    }),
    case("PPC-SSH-016", Fail, "MaxStartups 10:30:100 (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-016", Pass, "MaxStartups 10:30:60", |f| {
        f.sshd("MaxStartups 10:30:60\n");
    }),
    case("PPC-SSH-017", Pass, "MaxSessions 10 (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-017", Fail, "MaxSessions 20", |f| {
        f.sshd("MaxSessions 20\n");
    }),
    case("PPC-SSH-018", Pass, "GSSAPIAuthentication no (sshd default", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-018", Fail, "GSSAPIAuthentication yes", |f| {
        f.sshd("GSSAPIAuthentication yes\n");
    }),
    case("PPC-SSH-019", Pass, "/etc/ssh/sshd_config: mode 0600, owner root (0), group root (0)", |f| {
        f.sshd(DROP_INS);
        f.write_mode("/etc/ssh/sshd_config.d/50-x.conf", "\n", 0o600);
    }),
    case("PPC-SSH-019", Fail, "/etc/ssh/sshd_config.d/50-x.conf: mode 0644", |f| {
        f.sshd(DROP_INS);
        f.write("/etc/ssh/sshd_config.d/50-x.conf", "\n");
    }),
    case("PPC-SSH-019", Fail, "/etc/ssh/sshd_config: mode 0600, owner alice (1000)", |f| {
        f.sshd("\n");
        f.chown("/etc/ssh/sshd_config", 1000, 0);
    }),
    case("PPC-SSH-020", Na, "no SSH host private keys exist", |f| {
        f.sshd("\n");
    }),
    case("PPC-SSH-020", Pass, "/etc/ssh/ssh_host_ed25519_key: mode 0600", |f| {
        f.sshd("\n");
        f.write_mode("/etc/ssh/ssh_host_ed25519_key", "key", 0o600);
    }),
    case("PPC-SSH-020", Fail, "/etc/ssh/ssh_host_ed25519_key: mode 0644", |f| {
        f.sshd("\n");
        f.write_mode("/etc/ssh/ssh_host_ed25519_key", "key", 0o644);
    }),
    case("PPC-SSH-020", Fail, "/etc/ssh/keys/custom: mode 0640", |f| {
        f.sshd("HostKey /etc/ssh/keys/custom\n");
        f.write_mode("/etc/ssh/keys/custom", "key", 0o640);
    }),
    case("PPC-SSH-021", Pass, "/etc/ssh/ssh_host_ed25519_key.pub: mode 0644", |f| {
        f.sshd("\n");
        f.write_mode("/etc/ssh/ssh_host_ed25519_key", "key", 0o600);
        f.write_mode("/etc/ssh/ssh_host_ed25519_key.pub", "pub", 0o644);
    }),
    case("PPC-SSH-021", Fail, "/etc/ssh/ssh_host_ed25519_key.pub: mode 0666", |f| {
        f.sshd("\n");
        f.write_mode("/etc/ssh/ssh_host_ed25519_key", "key", 0o600);
        f.write_mode("/etc/ssh/ssh_host_ed25519_key.pub", "pub", 0o666);
    }),
];

#[test]
fn cases() {
    check(CASES);
}
