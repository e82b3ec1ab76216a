//! The world: every certificate of the article's loop, for one seed and one "now".

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use super::PkiError;
use super::builder::{Eku, Issued, Pki, Validity};
use super::key::KeyType;

/// Every certificate a world holds, by the part it plays. Serialized (and read from scenario
/// files) as [`Role::name`] spells it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The receiver's root CA.
    ReceiverRoot,
    /// The receiver's intermediate CA, issued by the root.
    ReceiverIntermediate,
    /// The receiver's server certificate, issued by the intermediate.
    Server,
    /// A self-signed server certificate (not a CA).
    ServerSelfSigned,
    /// The tenant's client root CA.
    ClientRoot,
    /// The tenant's client intermediate CA.
    ClientIntermediate,
    /// The tenant's client certificate (the key pair for the tenant keystore).
    Client,
    /// A second client certificate under the same CAs (a second sender).
    Client2,
    /// A root that nobody trusts, for negative cases.
    UnrelatedRoot,
    /// A client certificate issued by the unrelated root (untrusted by the receiver).
    UnrelatedClient,
    /// The server certificate, expired at "now" (same key).
    ServerExpired,
    /// The server certificate, not yet valid at "now" (same key).
    ServerNotYetValid,
    /// The server certificate for another host name (same key).
    ServerWrongHost,
    /// The server certificate with its host name in the CN only, no SAN (same key).
    ServerCnOnly,
    /// The server certificate with a wrong extended key usage (emailProtection).
    ServerWrongEku,
    /// An intermediate under the receiver root without basicConstraints cA=true.
    IntermediateNotCa,
    /// A server certificate issued by [`Role::IntermediateNotCa`].
    ServerUnderNotCa,
    /// A second intermediate, issued by the receiver intermediate.
    ReceiverIntermediate2,
    /// A server certificate under two intermediates (root -> intermediate -> intermediate2).
    ServerTwoIntermediates,
    /// The client certificate, expired at "now" (same key).
    ClientExpired,
    /// The client certificate with a wrong extended key usage (emailProtection).
    ClientWrongEku,
}

impl Role {
    /// Every role, in generation order (issuers before what they issue).
    pub const ALL: [Role; 21] = [
        Role::ReceiverRoot,
        Role::ReceiverIntermediate,
        Role::Server,
        Role::ServerSelfSigned,
        Role::ClientRoot,
        Role::ClientIntermediate,
        Role::Client,
        Role::Client2,
        Role::UnrelatedRoot,
        Role::UnrelatedClient,
        Role::ServerExpired,
        Role::ServerNotYetValid,
        Role::ServerWrongHost,
        Role::ServerCnOnly,
        Role::ServerWrongEku,
        Role::IntermediateNotCa,
        Role::ServerUnderNotCa,
        Role::ReceiverIntermediate2,
        Role::ServerTwoIntermediates,
        Role::ClientExpired,
        Role::ClientWrongEku,
    ];

    /// The role's name in file names and on the command line (`receiver-root`, `server`).
    pub fn name(self) -> &'static str {
        match self {
            Role::ReceiverRoot => "receiver-root",
            Role::ReceiverIntermediate => "receiver-intermediate",
            Role::Server => "server",
            Role::ServerSelfSigned => "server-self-signed",
            Role::ClientRoot => "client-root",
            Role::ClientIntermediate => "client-intermediate",
            Role::Client => "client",
            Role::Client2 => "client2",
            Role::UnrelatedRoot => "unrelated-root",
            Role::UnrelatedClient => "unrelated-client",
            Role::ServerExpired => "server-expired",
            Role::ServerNotYetValid => "server-not-yet-valid",
            Role::ServerWrongHost => "server-wrong-host",
            Role::ServerCnOnly => "server-cn-only",
            Role::ServerWrongEku => "server-wrong-eku",
            Role::IntermediateNotCa => "intermediate-not-ca",
            Role::ServerUnderNotCa => "server-under-not-ca",
            Role::ReceiverIntermediate2 => "receiver-intermediate2",
            Role::ServerTwoIntermediates => "server-two-intermediates",
            Role::ClientExpired => "client-expired",
            Role::ClientWrongEku => "client-wrong-eku",
        }
    }

    /// Whether the role is a CA certificate (root or intermediate).
    pub fn is_ca(self) -> bool {
        matches!(
            self,
            Role::ReceiverRoot
                | Role::ReceiverIntermediate
                | Role::ClientRoot
                | Role::ClientIntermediate
                | Role::UnrelatedRoot
                | Role::IntermediateNotCa
                | Role::ReceiverIntermediate2
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = PkiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == text)
            .ok_or_else(|| PkiError::UnknownRole {
                name: text.to_owned(),
            })
    }
}

/// What a world is generated from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldSpec {
    /// The seed: the same seed gives the same keys, serials, dates and subjects.
    pub seed: u64,
    /// The simulated "now" that validity windows are placed around.
    pub now: OffsetDateTime,
    /// The key type of every certificate.
    pub key_type: KeyType,
    /// The server certificate's host names and IP addresses (SANs).
    pub server_names: Vec<String>,
}

impl WorldSpec {
    /// The default names a receiver on loopback answers to.
    pub const DEFAULT_SERVER_NAMES: [&'static str; 3] = ["localhost", "127.0.0.1", "::1"];

    /// A spec with P-256 keys, the default "now" and the loopback names.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            now: crate::time::DEFAULT_NOW,
            key_type: KeyType::P256,
            server_names: Self::DEFAULT_SERVER_NAMES.map(str::to_owned).to_vec(),
        }
    }

    /// Sets the simulated "now".
    pub fn now(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    /// Sets the key type.
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = key_type;
        self
    }
}

/// Every certificate of the loop for one [`WorldSpec`].
#[derive(Debug)]
pub struct World {
    spec: WorldSpec,
    certs: BTreeMap<Role, Issued>,
}

impl World {
    /// The world of `spec`, generated once per process and shared: a scenario run builds
    /// dozens of scenarios on the same spec (the default seed, now and key type), and each
    /// world costs a few milliseconds of ECDSA signing (RSA: far more). Worlds are immutable,
    /// so sharing changes nothing a caller can see; the same spec gives byte-identical worlds
    /// either way. Concurrent callers of one spec wait for the first to finish instead of
    /// generating it again. At most [`World::SHARED_LIMIT`] specs are kept (oldest dropped).
    pub fn shared(spec: &WorldSpec) -> Result<Arc<World>, PkiError> {
        static SHARED: crate::memo::Memo<WorldSpec, Arc<World>> =
            crate::memo::Memo::new(World::SHARED_LIMIT);
        SHARED.get_or_try_insert(spec, || World::generate(spec).map(Arc::new))
    }

    /// How many specs [`World::shared`] keeps.
    pub const SHARED_LIMIT: usize = 32;

    /// Generates the world. P-256 worlds take a few milliseconds; RSA keys are cached per
    /// seed, so a second RSA world of the same seed costs about as much as a P-256 one.
    ///
    /// The receiver's certificates and the tenant's (with the unrelated ones) are two
    /// independent trees: RSA worlds build them on two threads (an RSA signature costs about
    /// 0.5 ms, and decoding each RSA key once about as much), ECDSA worlds on one (a thread
    /// costs more than their signatures). The bytes are the same either way: every key,
    /// serial and date derives from the seed and the certificate's label, not from the order.
    pub fn generate(spec: &WorldSpec) -> Result<Self, PkiError> {
        let pki = Pki::new(spec.seed, spec.now, spec.key_type);
        let names = &spec.server_names;
        let (receiver, tenant) = if spec.key_type.is_rsa() {
            std::thread::scope(|scope| {
                let tenant = scope.spawn(|| tenant_tree(&pki, names));
                let receiver = receiver_tree(&pki, names);
                let tenant = tenant
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (receiver, tenant)
            })
        } else {
            (receiver_tree(&pki, names), tenant_tree(&pki, names))
        };
        let mut certs: BTreeMap<Role, Issued> = receiver?.into_iter().collect();
        certs.extend(tenant?);
        Ok(Self {
            spec: spec.clone(),
            certs,
        })
    }

    /// The spec it was generated from.
    pub fn spec(&self) -> &WorldSpec {
        &self.spec
    }

    /// The certificate (with key and chain) playing `role`.
    pub fn get(&self, role: Role) -> &Issued {
        // Invariant: `generate` inserts every role of `Role::ALL`; a unit test checks it.
        &self.certs[&role]
    }

    /// Every role with its certificate, in [`Role::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Role, &Issued)> {
        Role::ALL.into_iter().map(|role| (role, self.get(role)))
    }
}

/// The receiver's certificates: its root, intermediates and every server certificate
/// issued under them.
fn receiver_tree(pki: &Pki, names: &[String]) -> Result<Vec<(Role, Issued)>, PkiError> {
    let receiver = "Harness Receiver";
    let receiver_root = pki
        .root("receiver-root")
        .common_name("Receiver Root CA")
        .organization(receiver)
        .build()?;
    let receiver_int = pki
        .intermediate("receiver-intermediate", &receiver_root)
        .common_name("Receiver Intermediate CA")
        .organization(receiver)
        .build()?;
    let server_leaf = |label: &str| {
        pki.leaf(label, &receiver_int)
            .names(names)
            .organization(receiver)
            .key_from("server")
    };
    let server = server_leaf("server").build()?;
    let server_expired = server_leaf("server-expired")
        .validity(Validity::Expired)
        .build()?;
    let server_not_yet_valid = server_leaf("server-not-yet-valid")
        .validity(Validity::NotYetValid)
        .build()?;
    let server_wrong_host = server_leaf("server-wrong-host")
        .names(["wrong.host.invalid"])
        .build()?;
    let server_cn_only = server_leaf("server-cn-only").cn_only().build()?;
    let server_wrong_eku = server_leaf("server-wrong-eku")
        .eku(Eku::EmailProtection)
        .build()?;
    let not_ca = pki
        .intermediate("intermediate-not-ca", &receiver_root)
        .common_name("Receiver Intermediate (no CA flag)")
        .organization(receiver)
        .not_ca()
        .build()?;
    let server_under_not_ca = pki
        .leaf("server-under-not-ca", &not_ca)
        .names(names)
        .organization(receiver)
        .key_from("server")
        .build()?;
    let receiver_int2 = pki
        .intermediate("receiver-intermediate2", &receiver_int)
        .common_name("Receiver Intermediate CA 2")
        .organization(receiver)
        .build()?;
    let server_two = pki
        .leaf("server-two-intermediates", &receiver_int2)
        .names(names)
        .organization(receiver)
        .key_from("server")
        .build()?;
    Ok(vec![
        (Role::ReceiverRoot, receiver_root),
        (Role::ReceiverIntermediate, receiver_int),
        (Role::Server, server),
        (Role::ServerExpired, server_expired),
        (Role::ServerNotYetValid, server_not_yet_valid),
        (Role::ServerWrongHost, server_wrong_host),
        (Role::ServerCnOnly, server_cn_only),
        (Role::ServerWrongEku, server_wrong_eku),
        (Role::IntermediateNotCa, not_ca),
        (Role::ServerUnderNotCa, server_under_not_ca),
        (Role::ReceiverIntermediate2, receiver_int2),
        (Role::ServerTwoIntermediates, server_two),
    ])
}

/// The tenant's client CAs and client certificates, the unrelated root with its client, and
/// the receiver's self-signed certificate (no issuer: it balances the two trees' work).
fn tenant_tree(pki: &Pki, names: &[String]) -> Result<Vec<(Role, Issued)>, PkiError> {
    let tenant = "Harness Tenant";
    let client_root = pki
        .root("client-root")
        .common_name("Tenant Client Root CA")
        .organization(tenant)
        .build()?;
    let client_int = pki
        .intermediate("client-intermediate", &client_root)
        .common_name("Tenant Client Intermediate CA")
        .organization(tenant)
        .build()?;
    let client_leaf = |label: &str, cn: &str| {
        pki.leaf(label, &client_int)
            .common_name(cn)
            .organization(tenant)
            .eku(Eku::ClientAuth)
    };
    let client = client_leaf("client", "cpi-tenant-client").build()?;
    let client2 = client_leaf("client2", "cpi-tenant-client-2").build()?;
    let client_expired = client_leaf("client-expired", "cpi-tenant-client")
        .key_from("client")
        .validity(Validity::Expired)
        .build()?;
    let client_wrong_eku = client_leaf("client-wrong-eku", "cpi-tenant-client")
        .key_from("client")
        .eku(Eku::EmailProtection)
        .build()?;
    let unrelated_root = pki
        .root("unrelated-root")
        .common_name("Unrelated Root CA")
        .organization("Harness Unrelated")
        .build()?;
    let unrelated_client = pki
        .leaf("unrelated-client", &unrelated_root)
        .common_name("unrelated-client")
        .organization("Harness Unrelated")
        .eku(Eku::ClientAuth)
        .build()?;
    let server_self_signed = pki
        .self_signed_leaf("server-self-signed")
        .names(names)
        .organization("Harness Receiver")
        .build()?;
    Ok(vec![
        (Role::ClientRoot, client_root),
        (Role::ClientIntermediate, client_int),
        (Role::Client, client),
        (Role::Client2, client2),
        (Role::ClientExpired, client_expired),
        (Role::ClientWrongEku, client_wrong_eku),
        (Role::UnrelatedRoot, unrelated_root),
        (Role::UnrelatedClient, unrelated_client),
        (Role::ServerSelfSigned, server_self_signed),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_generated() {
        let world = World::generate(&WorldSpec::new(1)).unwrap();
        for role in Role::ALL {
            assert_eq!(world.get(role).label(), role.name());
            assert_eq!(role.name().parse::<Role>().unwrap(), role);
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_differs() {
        let a = World::generate(&WorldSpec::new(7)).unwrap();
        let b = World::generate(&WorldSpec::new(7)).unwrap();
        let c = World::generate(&WorldSpec::new(8)).unwrap();
        for role in Role::ALL {
            assert_eq!(a.get(role).cert(), b.get(role).cert(), "{role}");
            assert_eq!(
                a.get(role).key().private_key(),
                b.get(role).key().private_key()
            );
            assert_ne!(a.get(role).cert(), c.get(role).cert(), "{role}");
        }
    }

    #[test]
    fn shared_worlds_are_generated_once_per_spec_and_equal_to_fresh_ones() {
        let spec = WorldSpec::new(11);
        let a = World::shared(&spec).unwrap();
        let b = World::shared(&spec).unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "the second call reuses the first world"
        );
        let other = World::shared(&spec.clone().key_type(KeyType::P384)).unwrap();
        assert!(!Arc::ptr_eq(&a, &other), "another spec, another world");
        let fresh = World::generate(&spec).unwrap();
        for role in Role::ALL {
            assert_eq!(a.get(role).cert(), fresh.get(role).cert(), "{role}");
        }
    }

    #[test]
    fn rsa_worlds_built_on_two_threads_are_whole_and_the_same_every_time() {
        // Seed 9,000's keys are pooled (as the suite's are): no prime search here.
        let spec = WorldSpec::new(9_000).key_type(KeyType::Rsa2048);
        let a = World::generate(&spec).unwrap();
        let b = World::generate(&spec).unwrap();
        for role in Role::ALL {
            assert_eq!(a.get(role).label(), role.name());
            assert_eq!(a.get(role).cert(), b.get(role).cert(), "{role}");
            assert_eq!(a.get(role).key().key_type(), KeyType::Rsa2048);
        }
        assert_eq!(
            a.get(Role::Server).top(),
            a.get(Role::ReceiverRoot).cert(),
            "the server chain ends at the receiver root"
        );
    }

    #[test]
    fn chains_follow_the_issuers() {
        let world = World::generate(&WorldSpec::new(3)).unwrap();
        let server = world.get(Role::Server);
        assert_eq!(server.chain().len(), 2);
        assert_eq!(server.full_chain().len(), 3);
        assert_eq!(server.top(), world.get(Role::ReceiverRoot).cert());
        let two = world.get(Role::ServerTwoIntermediates);
        assert_eq!(two.full_chain().len(), 4);
        let own = world.get(Role::ServerSelfSigned);
        assert_eq!(own.chain(), own.full_chain());
        assert_eq!(own.top(), own.cert());
    }
}
