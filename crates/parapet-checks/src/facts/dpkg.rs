//! Installed package names from the dpkg database (`/var/lib/dpkg/status`).

use std::collections::HashSet;

/// Names of the packages whose status is "installed" (want install or hold). Packages removed
/// but not purged ("config-files") are not installed even though their conffiles remain.
#[derive(Debug, Default)]
pub struct Packages(HashSet<String>);

impl Packages {
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

pub fn parse(text: &str) -> Packages {
    let mut installed = HashSet::new();
    let mut name: Option<&str> = None;
    let mut ok = false;
    let mut flush = |name: &mut Option<&str>, ok: &mut bool| {
        if let Some(n) = name.take()
            && *ok
        {
            installed.insert(n.split(':').next().unwrap_or(n).to_owned());
        }
        *ok = false;
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut name, &mut ok);
        } else if let Some(v) = line.strip_prefix("Package:") {
            name = Some(v.trim());
        } else if let Some(v) = line.strip_prefix("Status:") {
            let words: Vec<&str> = v.split_whitespace().collect();
            ok = matches!(words.as_slice(), [want, _, "installed"] if *want == "install" || *want == "hold");
        }
    }
    flush(&mut name, &mut ok);
    Packages(installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_file() {
        let p = parse(
            "Package: openssh-server\nStatus: install ok installed\nVersion: 1\n\n\
             Package: ufw\nStatus: deinstall ok config-files\n\n\
             Package: auditd\nStatus: hold ok installed\n\n\
             Package: half\nStatus: install ok half-configured\n\n\
             Package: last\nStatus: install ok installed",
        );
        assert!(p.contains("openssh-server") && p.contains("auditd") && p.contains("last"));
        assert!(!p.contains("ufw") && !p.contains("half"));
    }
}
