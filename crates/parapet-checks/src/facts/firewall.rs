//! Firewall rule sets as written on disk (nftables scripts, iptables-save files) or listed by
//! `nft list ruleset`: which base chains filter incoming traffic and with what default policy.

/// A base chain hooked on `input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputChain {
    pub family: String,
    pub table: String,
    pub name: String,
    /// The declared policy, `accept` when none is given.
    pub policy: String,
    pub file: String,
    pub line: usize,
}

impl InputChain {
    /// Whether the chain filters IPv4 (an `ip6` chain alone leaves IPv4 open).
    pub fn covers_ipv4(&self) -> bool {
        self.family == "inet" || self.family == "ip"
    }

    pub fn evidence(&self) -> String {
        format!(
            "{}:{}: chain {} in table {} {}: hook input, policy {}",
            self.file, self.line, self.name, self.family, self.table, self.policy
        )
    }
}

/// What an nftables script contains, and the files it includes.
#[derive(Debug, Default)]
pub struct NftScript {
    pub input_chains: Vec<InputChain>,
    pub includes: Vec<String>,
}

const FAMILIES: [&str; 6] = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];

#[derive(Debug)]
enum Block {
    Table { family: String, name: String },
    Chain { family: String, table: String, name: String, line: usize, hook_input: bool, policy: Option<String> },
    Other,
}

/// Parses an nftables script (nft(8) syntax) far enough to find input base chains.
pub fn parse_nft(file: &str, text: &str) -> NftScript {
    let mut out = NftScript::default();
    let mut stack: Vec<Block> = Vec::new();
    let mut statement: Vec<(String, usize)> = Vec::new();
    for (tok, line) in nft_tokens(text) {
        match tok.as_str() {
            ";" | "\n" => end_statement(&mut statement, &mut stack, &mut out),
            "{" => {
                let header: Vec<&str> = statement.iter().map(|(t, _)| t.as_str()).collect();
                let block = open_block(&header, &stack, statement.first().map_or(line, |s| s.1));
                stack.push(block);
                statement.clear();
            }
            "}" => {
                end_statement(&mut statement, &mut stack, &mut out);
                if let Some(Block::Chain { family, table, name, line, hook_input: true, policy }) = stack.pop() {
                    out.input_chains.push(InputChain {
                        family,
                        table,
                        name,
                        policy: policy.unwrap_or_else(|| "accept".into()),
                        file: file.to_owned(),
                        line,
                    });
                }
            }
            _ => statement.push((tok, line)),
        }
    }
    out
}

fn open_block(header: &[&str], stack: &[Block], line: usize) -> Block {
    let header = if matches!(header.first(), Some(&"add" | &"create")) { &header[1..] } else { header };
    match header.first() {
        Some(&"table") => {
            let (family, name) = match header.get(1) {
                Some(f) if FAMILIES.contains(f) => (f.to_string(), header.get(2).unwrap_or(&"").to_string()),
                _ => ("ip".to_string(), header.get(1).unwrap_or(&"").to_string()),
            };
            Block::Table { family, name }
        }
        Some(&"chain") => {
            let (family, table) = match stack.last() {
                Some(Block::Table { family, name }) => (family.clone(), name.clone()),
                _ => match header.get(1) {
                    Some(f) if FAMILIES.contains(f) => (f.to_string(), header.get(2).unwrap_or(&"").to_string()),
                    _ => ("ip".to_string(), header.get(1).unwrap_or(&"").to_string()),
                },
            };
            let name = header.last().unwrap_or(&"").to_string();
            Block::Chain { family, table, name, line, hook_input: false, policy: None }
        }
        _ => Block::Other,
    }
}

fn end_statement(statement: &mut Vec<(String, usize)>, stack: &mut [Block], out: &mut NftScript) {
    let words: Vec<&str> = statement.iter().map(|(t, _)| t.as_str()).collect();
    if let Some(Block::Chain { hook_input, policy, .. }) = stack.last_mut() {
        if words.windows(2).any(|w| w == ["hook", "input"]) {
            *hook_input = true;
        }
        if let Some(i) = words.iter().position(|w| *w == "policy")
            && let Some(p) = words.get(i + 1)
        {
            *policy = Some(p.to_string());
        }
    } else if stack.is_empty() && words.first() == Some(&"include") && words.len() > 1 {
        out.includes.push(words[1].trim_matches('"').to_owned());
    }
    statement.clear();
}

/// Words, strings, braces and statement ends (`;` and new lines, `\n` as a token), with line
/// numbers; comments dropped and backslash-newline joined.
fn nft_tokens(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push(("\n".to_string(), line));
                line += 1;
            }
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
                line += 1;
            }
            '#' => {
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            ';' | '{' | '}' => out.push((c.to_string(), line)),
            '"' => {
                let mut s = String::from('"');
                for c in chars.by_ref() {
                    s.push(c);
                    if c == '"' {
                        break;
                    }
                }
                out.push((s, line));
            }
            c => {
                let mut w = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '{' | '}' | '#') {
                        break;
                    }
                    w.push(n);
                    chars.next();
                }
                out.push((w, line));
            }
        }
    }
    out
}

/// The policy of the built-in INPUT chain of the `filter` table in an iptables-save file, with
/// its line number.
pub fn iptables_input_policy(text: &str) -> Option<(String, usize)> {
    let mut in_filter = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(table) = line.strip_prefix('*') {
            in_filter = table == "filter";
        } else if in_filter && let Some(rest) = line.strip_prefix(":INPUT ") {
            return rest.split_whitespace().next().map(|p| (p.to_owned(), i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nft_scripts() {
        let debian_default = "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n";
        let s = parse_nft("/etc/nftables.conf", debian_default);
        assert_eq!(s.input_chains.len(), 1);
        assert_eq!(s.input_chains[0].policy, "accept");
        assert_eq!(s.input_chains[0].line, 6);

        let hardened = "include \"/etc/nftables.d/*.nft\"\ntable ip6 f6 { chain in { type filter hook input priority 0; policy drop; } }\n\
                        table inet f {\n  chain inbound { # the input chain\n    type filter hook input priority 0\n    policy drop\n    ct state established accept\n  }\n}\n\
                        add chain ip t c { type filter hook input priority 0 ; policy drop ; }\n";
        let s = parse_nft("/x", hardened);
        assert_eq!(s.includes, ["/etc/nftables.d/*.nft"]);
        let chains: Vec<(&str, &str, &str, bool)> = s
            .input_chains
            .iter()
            .map(|c| (c.family.as_str(), c.name.as_str(), c.policy.as_str(), c.covers_ipv4()))
            .collect();
        assert_eq!(
            chains,
            [("ip6", "in", "drop", false), ("inet", "inbound", "drop", true), ("ip", "c", "drop", true)]
        );
        assert_eq!(s.input_chains[1].evidence(), "/x:4: chain inbound in table inet f: hook input, policy drop");
    }

    #[test]
    fn iptables_save() {
        let text = "*nat\n:INPUT ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\nCOMMIT\n";
        assert_eq!(iptables_input_policy(text), Some(("DROP".into(), 5)));
        assert_eq!(iptables_input_policy("*filter\nCOMMIT\n"), None);
    }
}
