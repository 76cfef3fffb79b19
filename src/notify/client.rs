//! The HTTP client that webhook deliveries go through: `http` and `https` receivers, TLS by
//! rustls (on ring) with Mozilla's root certificates (webpki-roots) and, when the operator
//! gives one, the certificates of an extra PEM file (`--webhook-ca-file`), so a receiver
//! behind a private CA is reached without turning verification off. Certificates are always
//! verified: there is no option to skip it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// The client a delivery attempt sends its `POST` through (cheap to clone).
pub type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<Bytes>,
>;

/// What the delivery client trusts.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// A PEM file of CA certificates trusted besides the public roots (`--webhook-ca-file`).
    pub extra_ca_file: Option<PathBuf>,
}

/// Why the delivery client cannot be built; the server does not start with it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The CA file cannot be read or holds a malformed PEM block.
    #[error("cannot read the webhook CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The CA file holds no certificate, or one rustls refuses as a trust anchor.
    #[error("the webhook CA file {path} {reason}")]
    CaCertificate {
        /// The file.
        path: String,
        /// What is wrong with its content.
        reason: String,
    },
    /// rustls refused the protocol versions of its own provider (a build problem).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// Builds the delivery client: Mozilla's roots, plus every certificate of
/// `options.extra_ca_file` when given.
pub fn build(options: &TlsOptions) -> Result<Client, ClientError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &options.extra_ca_file {
        for cert in read_pem_certificates(path)? {
            roots.add(cert).map_err(|e| ClientError::CaCertificate {
                path: path.display().to_string(),
                reason: format!("holds a certificate that cannot be a trust anchor: {e}"),
            })?;
        }
    }
    // The provider is named, not taken from a process-wide default: nothing else in the
    // process has to install one, and a second provider in the tree cannot make it ambiguous.
    // ring's provider is deprecated since rustls 0.23.48 only for lacking post-quantum key
    // exchange, which aws-lc-rs has; aws-lc-rs needs a C toolchain build of its own that this
    // project avoids, and a webhook body's secrecy beyond the next decade is not at stake.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector),
    )
}

/// Every certificate of a PEM file (other PEM blocks, such as a key, are skipped); at least one.
fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let shown = || path.display().to_string();
    // Read first, so a missing file says so rather than a PEM parser's error.
    let bytes = std::fs::read(path).map_err(|e| ClientError::CaFile {
        path: shown(),
        reason: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::CaFile {
            path: shown(),
            reason: format!("not PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(ClientError::CaCertificate {
            path: shown(),
            reason: "holds no certificate (expected PEM blocks -----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

/// Why an attempt got no answer, in words an operator can act on: the TLS refusal named as
/// such (with what to do about a private CA), or hyper's error with its causes (its own
/// message alone is terse: "client error (Connect)").
pub fn explain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<&(dyn std::error::Error + 'static)> = vec![e];
    while let Some(next) = chain.last().and_then(|c| c.source()) {
        chain.push(next);
    }
    for c in &chain {
        if let Some(tls) = tls_error(*c) {
            let hint = match tls {
                rustls::Error::InvalidCertificate(_) => {
                    " (a receiver with a certificate from a private CA needs that CA in --webhook-ca-file)"
                }
                _ => "",
            };
            return format!("TLS handshake failed: {tls}{hint}");
        }
    }
    let mut why = format!("no answer: {e}");
    for c in chain.iter().skip(1) {
        why.push_str(&format!(": {c}"));
    }
    why
}

/// The rustls error inside `e`: rustls's error travels inside an io::Error (tokio-rustls),
/// itself inside another (hyper-rustls), and an io::Error's `source` skips what it wraps, so
/// the wrappers are opened one by one.
fn tls_error<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut current = e;
    loop {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner: &(dyn std::error::Error + 'static) =
            current.downcast_ref::<std::io::Error>()?.get_ref()?;
        current = inner;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_exist_and_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("edustats-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let missing = dir.join("missing.pem");
        let err = build(&TlsOptions {
            extra_ca_file: Some(missing),
        })
        .err()
        .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("cannot read the webhook CA file")),
            "{err:?}"
        );
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").expect("write");
        let err = build(&TlsOptions {
            extra_ca_file: Some(empty),
        })
        .err()
        .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("holds no certificate")),
            "{err:?}"
        );
        assert!(build(&TlsOptions::default()).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refused_certificate_is_named_as_a_tls_failure() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        // As hyper-rustls hands it over: tokio-rustls's io::Error inside another.
        let io = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, inner));
        let why = explain(&io);
        assert!(
            why.starts_with("TLS handshake failed: invalid peer certificate"),
            "{why}"
        );
        assert!(why.contains("--webhook-ca-file"), "{why}");
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(explain(&plain), "no answer: refused");
    }
}
