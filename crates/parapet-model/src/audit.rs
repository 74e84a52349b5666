//! The audit log's words: what kinds of things change ([`Entity`]) and how ([`AuditAction`]).
//! The store writes them and reads them back; the strings are what the database holds, so they
//! never change once written.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::FieldError;

/// A kind of thing the audit log records changes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Case,
    Product,
    Vendor,
    User,
    Token,
    Document,
    SigningKey,
    Source,
    Post,
    Briefing,
    AdvanceNotice,
    Endpoint,
    Delivery,
    EnrollmentSecret,
    Host,
    Group,
    Update,
    Rule,
    Ring,
    Job,
    MalwarePack,
}

impl Entity {
    pub const ALL: [Entity; 21] = [
        Entity::Case,
        Entity::Product,
        Entity::Vendor,
        Entity::User,
        Entity::Token,
        Entity::Document,
        Entity::SigningKey,
        Entity::Source,
        Entity::Post,
        Entity::Briefing,
        Entity::AdvanceNotice,
        Entity::Endpoint,
        Entity::Delivery,
        Entity::EnrollmentSecret,
        Entity::Host,
        Entity::Group,
        Entity::Update,
        Entity::Rule,
        Entity::Ring,
        Entity::Job,
        Entity::MalwarePack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Case => "case",
            Entity::Product => "product",
            Entity::Vendor => "vendor",
            Entity::User => "user",
            Entity::Token => "token",
            Entity::Document => "document",
            Entity::SigningKey => "signing_key",
            Entity::Source => "source",
            Entity::Post => "post",
            Entity::Briefing => "briefing",
            Entity::AdvanceNotice => "advance_notice",
            Entity::Endpoint => "endpoint",
            Entity::Delivery => "delivery",
            Entity::EnrollmentSecret => "enrollment_secret",
            Entity::Host => "host",
            Entity::Group => "group",
            Entity::Update => "update",
            Entity::Rule => "rule",
            Entity::Ring => "ring",
            Entity::Job => "job",
            Entity::MalwarePack => "malware_pack",
        }
    }

    /// What the audit page calls entries of this kind.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Case => "Cases",
            Entity::Product => "Products",
            Entity::Vendor => "Vendors",
            Entity::User => "Users",
            Entity::Token => "API tokens",
            Entity::Document => "Documents",
            Entity::SigningKey => "Signing keys",
            Entity::Source => "Catalog sources",
            Entity::Post => "Blog posts",
            Entity::Briefing => "Briefings",
            Entity::AdvanceNotice => "Advance notices",
            Entity::Endpoint => "Webhook endpoints",
            Entity::Delivery => "Deliveries",
            Entity::EnrollmentSecret => "Enrollment secrets",
            Entity::Host => "Hosts",
            Entity::Group => "Computer groups",
            Entity::Update => "Update approvals",
            Entity::Rule => "Approval rules",
            Entity::Ring => "Rings",
            Entity::Job => "Host jobs",
            Entity::MalwarePack => "Malware signature packs",
        }
    }
}

impl FromStr for Entity {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Entity, FieldError> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
            FieldError::new("entity", format!("unknown entity {s:?}; expected one of {}", known.join(", ")))
        })
    }
}

/// A change the audit log records; each belongs to one [`Entity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    CaseCreate,
    CaseUpdate,
    CaseTransition,
    CaseAssignCve,
    CaseNote,
    CaseMessage,
    CaseAttachment,
    ProductCreate,
    ProductVersionCreate,
    VendorCreate,
    UserCreate,
    UserUpdate,
    TokenCreate,
    TokenRevoke,
    DocumentCreate,
    DocumentUpdate,
    DocumentSchedule,
    DocumentUnschedule,
    DocumentImport,
    DocumentPublish,
    DocumentPublishRefused,
    SigningKeyCreate,
    SigningKeyReplace,
    SourceAdd,
    SourceUpdate,
    SourceRemove,
    PostCreate,
    PostUpdate,
    PostSchedule,
    PostUnschedule,
    PostPublish,
    BriefingCreate,
    BriefingUpdate,
    BriefingCancel,
    AdvanceNoticePublish,
    EndpointCreate,
    EndpointRotateSecret,
    EndpointResume,
    DeliveryRedeliver,
    EnrollmentSecretCreate,
    EnrollmentSecretRevoke,
    HostEnroll,
    HostRevoke,
    HostCloneSuspected,
    HostAssign,
    GroupCreate,
    GroupUpdate,
    GroupDelete,
    /// A group's security configuration policy was set or replaced.
    GroupHardenPolicySet,
    GroupHardenPolicyClear,
    UpdateApproval,
    RuleCreate,
    RuleUpdate,
    RuleDelete,
    RingCreate,
    RingUpdate,
    RingDelete,
    JobRollback,
    JobCancel,
    JobCreate,
    MalwarePackCreate,
    MalwarePackPublish,
}

impl AuditAction {
    pub const ALL: [AuditAction; 62] = [
        AuditAction::CaseCreate,
        AuditAction::CaseUpdate,
        AuditAction::CaseTransition,
        AuditAction::CaseAssignCve,
        AuditAction::CaseNote,
        AuditAction::CaseMessage,
        AuditAction::CaseAttachment,
        AuditAction::ProductCreate,
        AuditAction::ProductVersionCreate,
        AuditAction::VendorCreate,
        AuditAction::UserCreate,
        AuditAction::UserUpdate,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::DocumentCreate,
        AuditAction::DocumentUpdate,
        AuditAction::DocumentSchedule,
        AuditAction::DocumentUnschedule,
        AuditAction::DocumentImport,
        AuditAction::DocumentPublish,
        AuditAction::DocumentPublishRefused,
        AuditAction::SigningKeyCreate,
        AuditAction::SigningKeyReplace,
        AuditAction::SourceAdd,
        AuditAction::SourceUpdate,
        AuditAction::SourceRemove,
        AuditAction::PostCreate,
        AuditAction::PostUpdate,
        AuditAction::PostSchedule,
        AuditAction::PostUnschedule,
        AuditAction::PostPublish,
        AuditAction::BriefingCreate,
        AuditAction::BriefingUpdate,
        AuditAction::BriefingCancel,
        AuditAction::AdvanceNoticePublish,
        AuditAction::EndpointCreate,
        AuditAction::EndpointRotateSecret,
        AuditAction::EndpointResume,
        AuditAction::DeliveryRedeliver,
        AuditAction::EnrollmentSecretCreate,
        AuditAction::EnrollmentSecretRevoke,
        AuditAction::HostEnroll,
        AuditAction::HostRevoke,
        AuditAction::HostCloneSuspected,
        AuditAction::HostAssign,
        AuditAction::GroupCreate,
        AuditAction::GroupUpdate,
        AuditAction::GroupDelete,
        AuditAction::GroupHardenPolicySet,
        AuditAction::GroupHardenPolicyClear,
        AuditAction::UpdateApproval,
        AuditAction::RuleCreate,
        AuditAction::RuleUpdate,
        AuditAction::RuleDelete,
        AuditAction::RingCreate,
        AuditAction::RingUpdate,
        AuditAction::RingDelete,
        AuditAction::JobRollback,
        AuditAction::JobCancel,
        AuditAction::JobCreate,
        AuditAction::MalwarePackCreate,
        AuditAction::MalwarePackPublish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::CaseCreate => "case.create",
            AuditAction::CaseUpdate => "case.update",
            AuditAction::CaseTransition => "case.transition",
            AuditAction::CaseAssignCve => "case.assign_cve",
            AuditAction::CaseNote => "case.note",
            AuditAction::CaseMessage => "case.message",
            AuditAction::CaseAttachment => "case.attachment",
            AuditAction::ProductCreate => "product.create",
            AuditAction::ProductVersionCreate => "product.version.create",
            AuditAction::VendorCreate => "vendor.create",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserUpdate => "user.update",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::DocumentCreate => "document.create",
            AuditAction::DocumentUpdate => "document.update",
            AuditAction::DocumentSchedule => "document.schedule",
            AuditAction::DocumentUnschedule => "document.unschedule",
            AuditAction::DocumentImport => "document.import",
            AuditAction::DocumentPublish => "document.publish",
            AuditAction::DocumentPublishRefused => "document.publish_refused",
            AuditAction::SigningKeyCreate => "signing_key.create",
            AuditAction::SigningKeyReplace => "signing_key.replace",
            AuditAction::SourceAdd => "source.add",
            AuditAction::SourceUpdate => "source.update",
            AuditAction::SourceRemove => "source.remove",
            AuditAction::PostCreate => "post.create",
            AuditAction::PostUpdate => "post.update",
            AuditAction::PostSchedule => "post.schedule",
            AuditAction::PostUnschedule => "post.unschedule",
            AuditAction::PostPublish => "post.publish",
            AuditAction::BriefingCreate => "briefing.create",
            AuditAction::BriefingUpdate => "briefing.update",
            AuditAction::BriefingCancel => "briefing.cancel",
            AuditAction::AdvanceNoticePublish => "advance_notice.publish",
            AuditAction::EndpointCreate => "endpoint.create",
            AuditAction::EndpointRotateSecret => "endpoint.rotate_secret",
            AuditAction::EndpointResume => "endpoint.resume",
            AuditAction::DeliveryRedeliver => "delivery.redeliver",
            AuditAction::EnrollmentSecretCreate => "enrollment_secret.create",
            AuditAction::EnrollmentSecretRevoke => "enrollment_secret.revoke",
            AuditAction::HostEnroll => "host.enroll",
            AuditAction::HostRevoke => "host.revoke",
            AuditAction::HostCloneSuspected => "host.clone_suspected",
            AuditAction::HostAssign => "host.assign",
            AuditAction::GroupCreate => "group.create",
            AuditAction::GroupUpdate => "group.update",
            AuditAction::GroupDelete => "group.delete",
            AuditAction::GroupHardenPolicySet => "group.harden_policy_set",
            AuditAction::GroupHardenPolicyClear => "group.harden_policy_clear",
            AuditAction::UpdateApproval => "update.approval",
            AuditAction::RuleCreate => "rule.create",
            AuditAction::RuleUpdate => "rule.update",
            AuditAction::RuleDelete => "rule.delete",
            AuditAction::RingCreate => "ring.create",
            AuditAction::RingUpdate => "ring.update",
            AuditAction::RingDelete => "ring.delete",
            AuditAction::JobRollback => "job.rollback",
            AuditAction::JobCancel => "job.cancel",
            AuditAction::JobCreate => "job.create",
            AuditAction::MalwarePackCreate => "malware_pack.create",
            AuditAction::MalwarePackPublish => "malware_pack.publish",
        }
    }

    /// The kind of thing the action changes.
    pub fn entity(self) -> Entity {
        match self {
            AuditAction::CaseCreate
            | AuditAction::CaseUpdate
            | AuditAction::CaseTransition
            | AuditAction::CaseAssignCve
            | AuditAction::CaseNote
            | AuditAction::CaseMessage
            | AuditAction::CaseAttachment => Entity::Case,
            AuditAction::ProductCreate | AuditAction::ProductVersionCreate => Entity::Product,
            AuditAction::VendorCreate => Entity::Vendor,
            AuditAction::UserCreate | AuditAction::UserUpdate => Entity::User,
            AuditAction::TokenCreate | AuditAction::TokenRevoke => Entity::Token,
            AuditAction::DocumentCreate
            | AuditAction::DocumentUpdate
            | AuditAction::DocumentSchedule
            | AuditAction::DocumentUnschedule
            | AuditAction::DocumentImport
            | AuditAction::DocumentPublish
            | AuditAction::DocumentPublishRefused => Entity::Document,
            AuditAction::SigningKeyCreate | AuditAction::SigningKeyReplace => Entity::SigningKey,
            AuditAction::SourceAdd | AuditAction::SourceUpdate | AuditAction::SourceRemove => Entity::Source,
            AuditAction::PostCreate
            | AuditAction::PostUpdate
            | AuditAction::PostSchedule
            | AuditAction::PostUnschedule
            | AuditAction::PostPublish => Entity::Post,
            AuditAction::BriefingCreate | AuditAction::BriefingUpdate | AuditAction::BriefingCancel => Entity::Briefing,
            AuditAction::AdvanceNoticePublish => Entity::AdvanceNotice,
            AuditAction::EndpointCreate | AuditAction::EndpointRotateSecret | AuditAction::EndpointResume => {
                Entity::Endpoint
            }
            AuditAction::DeliveryRedeliver => Entity::Delivery,
            AuditAction::EnrollmentSecretCreate | AuditAction::EnrollmentSecretRevoke => Entity::EnrollmentSecret,
            AuditAction::HostEnroll
            | AuditAction::HostRevoke
            | AuditAction::HostCloneSuspected
            | AuditAction::HostAssign => Entity::Host,
            AuditAction::GroupCreate
            | AuditAction::GroupUpdate
            | AuditAction::GroupDelete
            | AuditAction::GroupHardenPolicySet
            | AuditAction::GroupHardenPolicyClear => Entity::Group,
            AuditAction::UpdateApproval => Entity::Update,
            AuditAction::RuleCreate | AuditAction::RuleUpdate | AuditAction::RuleDelete => Entity::Rule,
            AuditAction::RingCreate | AuditAction::RingUpdate | AuditAction::RingDelete => Entity::Ring,
            AuditAction::JobRollback | AuditAction::JobCancel | AuditAction::JobCreate => Entity::Job,
            AuditAction::MalwarePackCreate | AuditAction::MalwarePackPublish => Entity::MalwarePack,
        }
    }
}

impl FromStr for AuditAction {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<AuditAction, FieldError> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| FieldError::new("action", format!("unknown audit action {s:?}")))
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_every_entity_has_an_action() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
            assert!(action.as_str().starts_with(action.entity().as_str()), "{action}");
        }
        for entity in Entity::ALL {
            assert_eq!(entity.as_str().parse::<Entity>().unwrap(), entity);
            assert!(AuditAction::ALL.iter().any(|a| a.entity() == entity), "{entity} has no action");
        }
        assert_eq!("cases".parse::<Entity>().unwrap_err().field, "entity");
        assert_eq!("case.delete".parse::<AuditAction>().unwrap_err().field, "action");
    }
}
