//! Who may do what. Roles grant permissions; API tokens narrow them with scopes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and tokens of others.
    Admin,
    /// Works cases: triage, scoring, fixes, disclosure.
    Analyst,
    /// Prepares what is published; reads cases, maintains products.
    Publisher,
    /// Reads everything an analyst reads, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Publisher, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Publisher => "publisher",
            Role::Auditor => "auditor",
        }
    }

    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Analyst => {
                matches!(
                    permission,
                    ViewCases | EditCases | ViewProducts | EditProducts | ViewDocuments | EditDocuments | ViewFleet
                )
            }
            Role::Publisher => matches!(
                permission,
                ViewCases | ViewProducts | EditProducts | ViewDocuments | EditDocuments | PublishDocuments
            ),
            Role::Auditor => {
                matches!(permission, ViewCases | ViewProducts | ViewAudit | ViewUsers | ViewDocuments | ViewFleet)
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            FieldError::new("role", format!("unknown role {s:?}; expected one of admin, analyst, publisher, auditor"))
        })
    }
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See undisclosed cases, their notes, messages and attachments.
    ViewCases,
    EditCases,
    ViewProducts,
    EditProducts,
    ViewUsers,
    ManageUsers,
    ViewAudit,
    /// See bulletins and advisories before they are published, and TLP:GREEN or stricter ones.
    ViewDocuments,
    /// Write and revise bulletins and advisories.
    EditDocuments,
    /// Schedule and publish them, import CSAF documents, manage the signing key.
    PublishDocuments,
    /// Add, change, remove and sync the catalog's sources.
    ManageSources,
    /// See the fleet: hosts, their facts, inventories and needed updates, and exposure.
    ViewFleet,
    /// Enroll and revoke hosts, manage enrollment secrets and groups.
    ManageFleet,
}

impl Permission {
    /// Whether the permission changes state (and so needs a token with the write scope).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Permission::EditCases
                | Permission::EditProducts
                | Permission::ManageUsers
                | Permission::EditDocuments
                | Permission::PublishDocuments
                | Permission::ManageSources
                | Permission::ManageFleet
        )
    }
}

/// What an API token may be used for, on top of its owner's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read what the owner's role can read.
    Read,
    /// Change what the owner's role can change.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    /// Parses a comma-separated scope list such as `read,write`.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, FieldError> {
        let mut scopes = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = match part {
                "read" => Scope::Read,
                "write" => Scope::Write,
                other => {
                    return Err(FieldError::new("scopes", format!("unknown scope {other:?}; expected read or write")));
                }
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(FieldError::new("scopes", "at least one scope is required"));
        }
        Ok(scopes)
    }

    pub fn format_list(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// Whoever is asking. Every read of case data goes through one of these, so that what
/// is under embargo is filtered where it is stored, not where it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials at all.
    Anonymous,
    /// A researcher holding the private tracking link of exactly one case.
    Reporter { case_id: i64 },
    /// A signed-in user or an API token.
    Staff { user_id: i64, name: String, role: Role, scopes: Option<Vec<Scope>> },
}

impl Viewer {
    /// Whether this viewer holds `permission`, taking token scopes into account.
    pub fn can(&self, permission: Permission) -> bool {
        match self {
            Viewer::Staff { role, scopes, .. } => {
                role.grants(permission)
                    && match scopes {
                        None => true,
                        Some(scopes) => {
                            let needed = if permission.is_write() { Scope::Write } else { Scope::Read };
                            scopes.contains(&needed)
                        }
                    }
            }
            Viewer::Anonymous | Viewer::Reporter { .. } => false,
        }
    }

    /// Whether this viewer may see a case that is still under embargo.
    pub fn sees_undisclosed(&self) -> bool {
        self.can(Permission::ViewCases)
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Viewer::Staff { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    /// A short name for the audit log.
    pub fn actor_name(&self) -> String {
        match self {
            Viewer::Anonymous => "anonymous".into(),
            Viewer::Reporter { case_id } => format!("reporter of case {case_id}"),
            Viewer::Staff { name, .. } => name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_permission_table() {
        use Permission::*;
        let table: [(Role, &[Permission], &[Permission]); 4] = [
            (Role::Admin, &[ViewCases, EditCases, ManageUsers, ViewAudit, ViewFleet, ManageFleet], &[]),
            (
                Role::Analyst,
                &[ViewCases, EditCases, EditProducts, EditDocuments, ViewFleet],
                &[ManageUsers, ViewAudit, PublishDocuments, ManageFleet],
            ),
            (
                Role::Publisher,
                &[ViewCases, EditProducts, EditDocuments, PublishDocuments],
                &[EditCases, ManageUsers, ViewFleet, ManageFleet],
            ),
            (
                Role::Auditor,
                &[ViewCases, ViewAudit, ViewUsers, ViewDocuments, ViewFleet],
                &[EditCases, EditProducts, ManageUsers, EditDocuments, PublishDocuments, ManageFleet],
            ),
        ];
        for (role, yes, no) in table {
            for p in yes {
                assert!(role.grants(*p), "{role} should grant {p:?}");
            }
            for p in no {
                assert!(!role.grants(*p), "{role} should not grant {p:?}");
            }
        }
    }

    #[test]
    fn read_scope_cannot_write() {
        let viewer =
            Viewer::Staff { user_id: 1, name: "a".into(), role: Role::Analyst, scopes: Some(vec![Scope::Read]) };
        assert!(viewer.can(Permission::ViewCases));
        assert!(!viewer.can(Permission::EditCases));
        assert!(!Viewer::Anonymous.sees_undisclosed());
        assert!(!Viewer::Reporter { case_id: 1 }.sees_undisclosed());
    }

    #[test]
    fn scope_lists() {
        assert_eq!(Scope::parse_list("read, write,read").unwrap(), vec![Scope::Read, Scope::Write]);
        assert_eq!(Scope::parse_list("admin").unwrap_err().field, "scopes");
        assert!(Scope::parse_list("").is_err());
    }
}
