//! The world generator's dimensions, as data: each dimension is a list of values with a
//! short tag; a world is one value of each, drawn by a seeded proptest strategy. Add a value
//! to a list and it is generated (and counted in the summary) from the next run on.

use proptest::prelude::*;
use proptest::sample::select;

/// Declares a dimension: an enum, its values in order and each value's tag.
macro_rules! dimension {
    ($(#[$meta:meta])* $name:ident = $key:literal { $($variant:ident = $tag:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) enum $name { $($variant),+ }

        impl $name {
            /// Every value, in order.
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The dimension's name in tags and the summary.
            pub(crate) const KEY: &'static str = $key;

            /// The value's tag (`sha1`).
            pub(crate) fn tag(self) -> &'static str {
                match self { $($name::$variant => $tag),+ }
            }

            /// Draws one value (not every dimension is drawn uniformly).
            #[allow(dead_code)]
            pub(crate) fn any() -> impl Strategy<Value = $name> {
                select($name::ALL)
            }
        }
    };
}

dimension! {
    /// A key type (server CA, server leaf, client leaf).
    KeyKind = "key" {
        P256 = "p256", P384 = "p384", P521 = "p521", Rsa1024 = "rsa1024", Rsa2048 = "rsa2048",
        Rsa3072 = "rsa3072", RsaPss = "rsapss2048", Ed25519 = "ed25519", Ed448 = "ed448",
        Dsa2048 = "dsa2048",
    }
}

dimension! {
    /// The CA key types (a subset drawn for the issuing certificates).
    CaKey = "ca-key" {
        P256 = "p256", P384 = "p384", Rsa2048 = "rsa2048", Rsa1024 = "rsa1024", RsaPss = "rsapss2048",
        Ed25519 = "ed25519", Dsa2048 = "dsa2048",
    }
}

impl CaKey {
    /// The key kind behind the CA key.
    pub(crate) fn kind(self) -> KeyKind {
        match self {
            CaKey::P256 => KeyKind::P256,
            CaKey::P384 => KeyKind::P384,
            CaKey::Rsa2048 => KeyKind::Rsa2048,
            CaKey::Rsa1024 => KeyKind::Rsa1024,
            CaKey::RsaPss => KeyKind::RsaPss,
            CaKey::Ed25519 => KeyKind::Ed25519,
            CaKey::Dsa2048 => KeyKind::Dsa2048,
        }
    }
}

dimension! {
    /// The digest the CAs sign with (where the CA key allows it; otherwise SHA-256).
    Digest = "sig" {
        Sha256 = "sha256", Sha384 = "sha384", Sha1 = "sha1", Md5 = "md5", Sha224 = "sha224",
        Sha512 = "sha512",
    }
}

dimension! {
    /// Root -> intermediates -> leaf.
    Shape = "shape" {
        RootIntLeaf = "root-int-leaf", RootLeaf = "root-leaf", RootIntIntLeaf = "root-int-int-leaf",
        SelfSigned = "self-signed",
    }
}

dimension! {
    /// What the receiver sends.
    Sent = "sent" { NoRoot = "without-root", Full = "full", LeafOnly = "leaf-only", Reversed = "reversed" }
}

dimension! {
    /// What the keystore trusts.
    Trust = "trust" {
        Root = "root", Intermediate = "intermediate", Leaf = "leaf", Unrelated = "unrelated",
        Nothing = "nothing",
    }
}

dimension! {
    /// The server leaf's key usage.
    LeafKu = "leaf-ku" {
        SigEnc = "ds-ke", Sig = "ds", Enc = "ke", Absent = "absent", CertSign = "keycertsign",
    }
}

dimension! {
    /// The server leaf's extended key usage.
    LeafEku = "leaf-eku" {
        Server = "server", ServerClient = "server-client", Client = "client", Any = "any",
        Absent = "absent", NsSgc = "ns-sgc",
    }
}

dimension! {
    /// The server leaf's basic constraints.
    LeafBc = "leaf-bc" { Absent = "absent", NotCa = "ca-false", Ca = "ca-true" }
}

dimension! {
    /// The issuing CAs' profile.
    CaProfile = "ca" {
        Normal = "normal", NoKeyCertSign = "no-keycertsign", PathLen0 = "pathlen0",
        IntNotCa = "int-not-ca", IntV1 = "int-v1", RootV1 = "root-v1",
    }
}

dimension! {
    /// Name constraints in the server chain.
    NameConstraints = "nc" {
        None = "none", IntPermitsHost = "int-permits-host", IntPermitsOther = "int-permits-other",
        IntExcludesHost = "int-excludes-host", RootPermitsOther = "root-permits-other",
    }
}

dimension! {
    /// Certificate policies.
    Policies = "policy" {
        None = "none", Leaf = "leaf", LeafCritical = "leaf-critical",
        RequireExplicit = "int-require-explicit",
    }
}

dimension! {
    /// Other features of the server leaf.
    LeafExtra = "leaf-extra" {
        None = "none", UnknownCritical = "unknown-critical", UnknownNonCritical = "unknown-noncritical",
        NsCertTypeClient = "ns-cert-type-client", V1 = "v1",
    }
}

dimension! {
    /// How names are encoded.
    Names = "names" { Utf8 = "utf8", Printable = "printable", Mixed = "mixed-issuer" }
}

dimension! {
    /// Validity of the server chain at the test's start.
    ServerValidity = "validity" {
        Valid = "valid", LeafExpired = "leaf-expired", LeafNotYet = "leaf-not-yet-valid",
        IntExpired = "int-expired", RootExpired = "root-expired", Pre1970 = "leaf-pre-1970",
    }
}

dimension! {
    /// How the client names the receiver.
    Host = "host" { Dotted = "dotted", SingleLabel = "single-label", Ip = "ip" }
}

dimension! {
    /// The server leaf's names.
    San = "san" { Match = "match", CnOnly = "cn-only", Wildcard = "wildcard", Wrong = "wrong" }
}

dimension! {
    /// The receiver's answer to SNI.
    Sni = "sni" {
        Ignores = "ignores", SwitchesToOther = "switches-to-other",
        UnrecognizedName = "unrecognized-name",
    }
}

dimension! {
    /// The receiver's protocol versions.
    Protocol = "protocol" { Both = "tls12-13", Tls13 = "tls13", Tls12 = "tls12", Tls11 = "tls11" }
}

dimension! {
    /// The receiver's TLS 1.2 cipher suites.
    Suites = "suites" {
        Default = "default", EcdheGcm = "ecdhe-gcm", Cbc = "cbc", RsaKx = "rsa-kx", Dhe = "dhe",
        Chacha = "chacha",
    }
}

dimension! {
    /// The receiver's key exchange groups.
    Groups = "groups" {
        Default = "default", P256 = "p256", P384 = "p384", P521 = "p521", X25519 = "x25519",
        X448 = "x448", Ffdhe2048 = "ffdhe2048",
    }
}

dimension! {
    /// Whether the receiver asks for a client certificate.
    ClientAuth = "client-auth" { None = "none", Optional = "optional", Required = "required" }
}

dimension! {
    /// The CA names in the receiver's CertificateRequest.
    CaNames = "ca-names" { ClientRoot = "client-root", Empty = "empty", Foreign = "foreign" }
}

dimension! {
    /// The signature algorithms in the receiver's CertificateRequest.
    ClientSigalgs = "client-sigalgs" { Default = "default", Ecdsa = "ecdsa", Rsa = "rsa" }
}

dimension! {
    /// A client key pair in the keystore.
    ClientKey = "client-key" {
        EcRoot = "ec-root", RsaRoot = "rsa-root", EcInt = "ec-int", Unrelated = "unrelated",
        ExpiredRoot = "expired-root", ServerAuthRoot = "serverauth-root",
        Ed25519Root = "ed25519-root", Rsa1024Root = "rsa1024-root",
    }
}

dimension! {
    /// Key passwords in the keystore.
    KeyPassword = "key-password" { Same = "same", FirstDiffers = "first-differs" }
}

dimension! {
    /// The keystore's format.
    StoreFormat = "store" { Jks = "jks", Pkcs12 = "pkcs12" }
}

dimension! {
    /// "Authenticate with Client Certificate" and its alias.
    ClientMode = "client-mode" { Off = "off", Automatic = "automatic", AliasFirst = "alias-first" }
}

dimension! {
    /// "Validate Server Certificate".
    Validate = "validate" { On = "on", Off = "off" }
}

dimension! {
    /// Which Java key manager chooses the client certificate (ours: `--key-manager`; Java:
    /// `KeyManagerFactory.getInstance("PKIX" | "SunX509")`).
    KeyManager = "key-manager" { Pkix = "pkix", SunX509 = "sunx509" }
}

impl KeyManager {
    /// Ours.
    pub(crate) fn kind(self) -> harness::connect::KeyManagerKind {
        match self {
            KeyManager::Pkix => harness::connect::KeyManagerKind::Pkix,
            KeyManager::SunX509 => harness::connect::KeyManagerKind::SunX509,
        }
    }

    /// Java's `KeyManagerFactory` algorithm.
    pub(crate) fn java(self) -> &'static str {
        match self {
            KeyManager::Pkix => "PKIX",
            KeyManager::SunX509 => "SunX509",
        }
    }
}

/// One generated world.
#[derive(Clone, Debug)]
pub(crate) struct World {
    /// `w017`.
    pub(crate) id: String,
    pub(crate) ca_key: CaKey,
    pub(crate) leaf_key: KeyKind,
    pub(crate) digest: Digest,
    pub(crate) shape: Shape,
    pub(crate) sent: Sent,
    pub(crate) trust: Trust,
    pub(crate) leaf_ku: LeafKu,
    pub(crate) leaf_eku: LeafEku,
    pub(crate) leaf_bc: LeafBc,
    pub(crate) ca: CaProfile,
    pub(crate) nc: NameConstraints,
    pub(crate) policies: Policies,
    pub(crate) leaf_extra: LeafExtra,
    pub(crate) names: Names,
    pub(crate) validity: ServerValidity,
    pub(crate) host: Host,
    pub(crate) san: San,
    pub(crate) sni: Sni,
    pub(crate) protocol: Protocol,
    pub(crate) suites: Suites,
    pub(crate) groups: Groups,
    pub(crate) client_auth: ClientAuth,
    pub(crate) ca_names: CaNames,
    pub(crate) client_sigalgs: ClientSigalgs,
    /// Distinct, in keystore order.
    pub(crate) keys: Vec<ClientKey>,
    pub(crate) key_password: KeyPassword,
    pub(crate) store: StoreFormat,
    pub(crate) client_mode: ClientMode,
    pub(crate) validate: Validate,
    pub(crate) key_manager: KeyManager,
}

/// How many dimensions a world moves away from the common world (the first value of each):
/// one mostly, up to three, so each divergence points at the few features that cause it.
fn perturbation_count() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 8 => Just(1usize), 4 => Just(2usize), 2 => Just(3usize)]
}

/// The number of dimensions [`perturb`] knows.
const DIMENSIONS: usize = 30;

/// The common world: every dimension at its first value, the receiver asking for no client
/// certificate, one client key pair under the client root, chosen automatically.
pub(crate) fn common() -> World {
    World {
        id: String::new(),
        ca_key: CaKey::ALL[0],
        leaf_key: KeyKind::ALL[0],
        digest: Digest::ALL[0],
        shape: Shape::ALL[0],
        sent: Sent::ALL[0],
        trust: Trust::ALL[0],
        leaf_ku: LeafKu::ALL[0],
        leaf_eku: LeafEku::ALL[0],
        leaf_bc: LeafBc::ALL[0],
        ca: CaProfile::ALL[0],
        nc: NameConstraints::ALL[0],
        policies: Policies::ALL[0],
        leaf_extra: LeafExtra::ALL[0],
        names: Names::ALL[0],
        validity: ServerValidity::ALL[0],
        host: Host::ALL[0],
        san: San::ALL[0],
        sni: Sni::ALL[0],
        protocol: Protocol::ALL[0],
        suites: Suites::ALL[0],
        groups: Groups::ALL[0],
        client_auth: ClientAuth::ALL[0],
        ca_names: CaNames::ALL[0],
        client_sigalgs: ClientSigalgs::ALL[0],
        keys: vec![ClientKey::EcRoot],
        key_password: KeyPassword::ALL[0],
        store: StoreFormat::ALL[0],
        client_mode: ClientMode::Automatic,
        validate: Validate::ALL[0],
        key_manager: KeyManager::ALL[0],
    }
}

/// Sets dimension `dim` to its value number `pick` (modulo its length). A client-side
/// dimension also makes the receiver ask for a client certificate (required, or optional
/// for an odd pick), so that it matters.
fn perturb(w: &mut World, dim: usize, pick: usize, keys: &[ClientKey]) {
    fn at<T: Copy>(all: &[T], pick: usize) -> T {
        all[pick % all.len()]
    }
    let ask = |w: &mut World| {
        if w.client_auth == ClientAuth::None {
            w.client_auth = if pick % 2 == 1 {
                ClientAuth::Optional
            } else {
                ClientAuth::Required
            };
        }
    };
    match dim {
        0 => w.ca_key = at(CaKey::ALL, pick),
        1 => w.leaf_key = at(KeyKind::ALL, pick),
        2 => w.digest = at(Digest::ALL, pick),
        3 => w.shape = at(Shape::ALL, pick),
        4 => w.sent = at(Sent::ALL, pick),
        5 => w.trust = at(Trust::ALL, pick),
        6 => w.leaf_ku = at(LeafKu::ALL, pick),
        7 => w.leaf_eku = at(LeafEku::ALL, pick),
        8 => w.leaf_bc = at(LeafBc::ALL, pick),
        9 => w.ca = at(CaProfile::ALL, pick),
        10 => w.nc = at(NameConstraints::ALL, pick),
        11 => w.policies = at(Policies::ALL, pick),
        12 => w.leaf_extra = at(LeafExtra::ALL, pick),
        13 => w.names = at(Names::ALL, pick),
        14 => w.validity = at(ServerValidity::ALL, pick),
        15 => w.host = at(Host::ALL, pick),
        16 => w.san = at(San::ALL, pick),
        17 => w.sni = at(Sni::ALL, pick),
        18 => w.protocol = at(Protocol::ALL, pick),
        19 => w.suites = at(Suites::ALL, pick),
        20 => w.groups = at(Groups::ALL, pick),
        21 => w.client_auth = at(ClientAuth::ALL, pick),
        22 => {
            w.ca_names = at(CaNames::ALL, pick);
            ask(w);
        }
        23 => {
            w.client_sigalgs = at(ClientSigalgs::ALL, pick);
            ask(w);
        }
        24 => {
            // Several key pairs are where the key managers differ: either one chooses.
            w.keys = keys.to_vec();
            w.key_manager = at(KeyManager::ALL, pick / 2);
            ask(w);
        }
        25 => {
            // SunX509 refuses a locked key when it is built, PKIX only when it is chosen.
            w.key_password = at(KeyPassword::ALL, pick);
            w.key_manager = at(KeyManager::ALL, pick / 2);
            ask(w);
        }
        26 => w.store = at(StoreFormat::ALL, pick),
        27 => {
            w.client_mode = at(ClientMode::ALL, pick);
            ask(w);
        }
        28 => w.validate = at(Validate::ALL, pick),
        _ => {
            // The other key manager (the common world's is PKIX), over several key pairs
            // (the drawn ones, completed to two).
            w.key_manager = KeyManager::SunX509;
            let mut several = keys.to_vec();
            for extra in [
                ClientKey::ExpiredRoot,
                ClientKey::RsaRoot,
                ClientKey::EcRoot,
            ] {
                if several.len() < 2 && !several.contains(&extra) {
                    several.push(extra);
                }
            }
            w.keys = several;
            ask(w);
        }
    }
}

/// The strategy over worlds (the id is set by the caller): the common world moved along a
/// few dimensions.
pub(crate) fn world() -> impl Strategy<Value = World> {
    let moves = perturbation_count().prop_flat_map(|n| {
        proptest::collection::vec(
            (
                0..DIMENSIONS,
                any::<usize>(),
                proptest::collection::vec(select(ClientKey::ALL), 0..=3),
            ),
            n,
        )
    });
    moves.prop_map(|moves| {
        let mut w = common();
        for (dim, pick, keys) in moves {
            perturb(&mut w, dim, pick, &keys);
        }
        let mut seen = Vec::new();
        w.keys.retain(|k| {
            let new = !seen.contains(k);
            seen.push(*k);
            new
        });
        w
    })
}

impl World {
    /// The world's tags (`sig=sha1`), one per dimension (`client-key=` once per key pair,
    /// `client-keys=N` for their count).
    pub(crate) fn tags(&self) -> Vec<String> {
        let mut tags = vec![
            format!("{}={}", CaKey::KEY, self.ca_key.tag()),
            format!("leaf-{}={}", KeyKind::KEY, self.leaf_key.tag()),
            format!("{}={}", Digest::KEY, self.digest.tag()),
            format!("{}={}", Shape::KEY, self.shape.tag()),
            format!("{}={}", Sent::KEY, self.sent.tag()),
            format!("{}={}", Trust::KEY, self.trust.tag()),
            format!("{}={}", LeafKu::KEY, self.leaf_ku.tag()),
            format!("{}={}", LeafEku::KEY, self.leaf_eku.tag()),
            format!("{}={}", LeafBc::KEY, self.leaf_bc.tag()),
            format!("{}={}", CaProfile::KEY, self.ca.tag()),
            format!("{}={}", NameConstraints::KEY, self.nc.tag()),
            format!("{}={}", Policies::KEY, self.policies.tag()),
            format!("{}={}", LeafExtra::KEY, self.leaf_extra.tag()),
            format!("{}={}", Names::KEY, self.names.tag()),
            format!("{}={}", ServerValidity::KEY, self.validity.tag()),
            format!("{}={}", Host::KEY, self.host.tag()),
            format!("{}={}", San::KEY, self.san.tag()),
            format!("{}={}", Sni::KEY, self.sni.tag()),
            format!("{}={}", Protocol::KEY, self.protocol.tag()),
            format!("{}={}", Suites::KEY, self.suites.tag()),
            format!("{}={}", Groups::KEY, self.groups.tag()),
            format!("{}={}", ClientAuth::KEY, self.client_auth.tag()),
            format!("{}={}", CaNames::KEY, self.ca_names.tag()),
            format!("{}={}", ClientSigalgs::KEY, self.client_sigalgs.tag()),
            format!("{}={}", KeyPassword::KEY, self.key_password.tag()),
            format!("{}={}", StoreFormat::KEY, self.store.tag()),
            format!("{}={}", ClientMode::KEY, self.client_mode.tag()),
            format!("{}={}", Validate::KEY, self.validate.tag()),
            format!("{}={}", KeyManager::KEY, self.key_manager.tag()),
            format!("client-keys={}", self.keys.len()),
        ];
        for k in &self.keys {
            tags.push(format!("{}={}", ClientKey::KEY, k.tag()));
        }
        tags
    }

    /// The tags in which the world differs from the common world (what it moved along).
    pub(crate) fn moved(&self) -> Vec<String> {
        let base = common().tags();
        self.tags()
            .into_iter()
            .filter(|t| !base.contains(t))
            .collect()
    }

    /// The host name the clients use.
    pub(crate) fn host_name(&self) -> &'static str {
        match self.host {
            Host::Dotted => "server.diff.test",
            Host::SingleLabel => "localhost",
            Host::Ip => "127.0.0.1",
        }
    }

    /// Whether the world has intermediates, and how many.
    pub(crate) fn intermediates(&self) -> usize {
        match self.shape {
            Shape::RootIntLeaf => 1,
            Shape::RootIntIntLeaf => 2,
            Shape::RootLeaf | Shape::SelfSigned => 0,
        }
    }
}
