//! The config file `$XDG_CONFIG_HOME/mqtk/config.toml` (or `$MQTK_CONFIG`): a `[default]`
//! table and named `[profile.NAME]` tables of connection settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{io_reason, shorten, shorten_path, Failure};

/// Connection settings a profile may set; every field mirrors a connection flag.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub url: Option<String>,
    pub ws: Option<bool>,
    pub ws_path: Option<String>,
    pub unix: Option<PathBuf>,
    pub proxy: Option<String>,
    pub protocol_version: Option<String>,
    pub keepalive: Option<u16>,
    pub connect_timeout: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub cafile: Option<PathBuf>,
    pub capath: Option<PathBuf>,
    pub tls_use_os_certs: Option<bool>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure: Option<bool>,
    pub tls_version: Option<String>,
    pub tls_alpn: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    default: Profile,
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
}

/// The user's configuration folder: `$XDG_CONFIG_HOME`, else `~/.config` (mqtk's config
/// file and mosquitto's options files live there).
pub fn config_dir() -> Option<PathBuf> {
    let non_empty = |var| std::env::var_os(var).filter(|v| !v.is_empty());
    non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// Where the config file is looked for: `$MQTK_CONFIG` (then true: it must exist), else
/// `$XDG_CONFIG_HOME/mqtk/config.toml`, else `~/.config/mqtk/config.toml`.
pub fn config_path() -> Option<(PathBuf, bool)> {
    if let Some(path) = std::env::var_os("MQTK_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    Some((config_dir()?.join("mqtk").join("config.toml"), false))
}

/// The settings that apply: the named profile laid over `[default]`. The default file may
/// be missing (an empty config); a file named by `MQTK_CONFIG`, or a profile asked for with
/// `--profile`/`MQTK_PROFILE`, must exist (exit 66 naming the file). A file that others
/// may write and that holds a password or `insecure = true` gets a warning unless `quiet`.
pub fn load_profile(name: Option<&str>, quiet: bool) -> Result<Profile, Failure> {
    let Some((path, named_by_env)) = config_path() else {
        return match name {
            Some(name) => Err(no_such_profile(name, None)),
            None => Ok(Profile::default()),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named_by_env => {
            return Err(Failure::NoInput(format!(
                "MQTK_CONFIG names {}, which does not exist: create it or unset MQTK_CONFIG",
                shorten_path(&path)
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match name {
                Some(name) => Err(Failure::NoInput(format!(
                    "--profile '{}': the config file {} does not exist: create it with a [profile.{}] table",
                    shorten(name),
                    shorten_path(&path),
                    shorten(name)
                ))),
                None => Ok(Profile::default()),
            };
        }
        Err(e) => {
            return Err(Failure::NoInput(format!(
                "cannot read config file {}: {}",
                shorten_path(&path),
                io_reason(&e)
            )))
        }
    };
    let file = parse(&text, &path)?;
    if !quiet {
        if let Some(warning) = permission_warning(&path, &file) {
            crate::output::stdio::stderr!("mqtk: warning: {warning}");
        }
    }
    let at = |table: &str| Located {
        text: &text,
        path: &path,
        table: table.to_string(),
    };
    file.default.validate(&at("default"))?;
    let mut profile = file.default;
    if let Some(name) = name {
        let named = file
            .profile
            .get(name)
            .ok_or_else(|| no_such_profile(name, Some(&path)))?;
        named.validate(&at(&format!("profile.{name}")))?;
        profile = named.clone().over(profile);
    }
    Ok(profile)
}

/// As ssh does for keys: a config file that holds a secret (a password, in a `password`
/// or a URL) or switches verification off (`insecure = true`) should not be writable by
/// anyone but its owner, who would otherwise have their broker or password swapped.
fn permission_warning(path: &Path, file: &ConfigFile) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = std::fs::metadata(path).ok()?;
        let mode = metadata.permissions().mode() & 0o777;
        if !metadata.is_file() || mode & 0o022 == 0 {
            return None;
        }
        let tables = || std::iter::once(&file.default).chain(file.profile.values());
        let password = tables().any(|p| {
            p.password.is_some()
                || p.url
                    .as_deref()
                    .and_then(|u| u.parse::<super::broker::BrokerUrl>().ok())
                    .is_some_and(|u| u.password.is_some())
        });
        let insecure = tables().any(|p| p.insecure == Some(true));
        let what = match (password, insecure) {
            (true, true) => "a password and insecure = true",
            (true, false) => "a password",
            (false, true) => "insecure = true",
            (false, false) => return None,
        };
        let shown = shorten_path(path);
        Some(format!(
            "config file {shown} holds {what} but group or others may write it (mode {mode:03o}): chmod 600 {shown}"
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        None
    }
}

/// Where a table's values are, for errors that name the file and line.
struct Located<'a> {
    text: &'a str,
    path: &'a Path,
    table: String,
}

impl Located<'_> {
    /// The line of `key` inside this table (1-based), if it can be found.
    fn line_of(&self, key: &str) -> Option<usize> {
        let mut current = String::new();
        for (i, line) in self.text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                current = line.trim_matches(['[', ']']).trim().replace(['"', ' '], "");
            } else if current == self.table {
                let found = line
                    .split_once('=')
                    .map(|(k, _)| k.trim().trim_matches('"'));
                if found == Some(key) {
                    return Some(i + 1);
                }
            }
        }
        None
    }

    fn error(&self, key: &str, why: impl std::fmt::Display) -> Failure {
        let place = match self.line_of(key) {
            Some(line) => format!("{}:{line}", shorten_path(self.path)),
            None => format!("{} [{}]", shorten_path(self.path), shorten(&self.table)),
        };
        Failure::Usage(format!("config file {place}: {key}: {why}"))
    }
}

impl Profile {
    /// Checks the values whose form TOML cannot check, naming the file and line.
    fn validate(&self, at: &Located<'_>) -> Result<(), Failure> {
        if self.port == Some(0) {
            return Err(at.error("port", "give a port from 1 to 65535"));
        }
        if let Some(url) = &self.url {
            url.parse::<super::broker::BrokerUrl>()
                .map_err(|e| at.error("url", e))?;
        }
        if let Some(proxy) = &self.proxy {
            super::parse_proxy(proxy).map_err(|e| at.error("proxy", e))?;
        }
        if let Some(version) = &self.protocol_version {
            super::parse_protocol_version(version).map_err(|e| at.error("protocol-version", e))?;
        }
        if let Some(version) = &self.tls_version {
            version
                .parse::<super::tls::TlsVersion>()
                .map_err(|e| at.error("tls-version", e))?;
        }
        if let Some(timeout) = &self.connect_timeout {
            humantime::parse_duration(timeout).map_err(|e| at.error("connect-timeout", e))?;
        }
        Ok(())
    }
}

fn parse(text: &str, path: &Path) -> Result<ConfigFile, Failure> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start].matches('\n').count() + 1);
        let message = e.message().replace('\n', " ");
        match line {
            Some(line) => Failure::Usage(format!(
                "config file {}:{line}: {}",
                shorten_path(path),
                shorten_long(&message)
            )),
            None => Failure::Usage(format!(
                "config file {}: {}",
                shorten_path(path),
                shorten_long(&message)
            )),
        }
    })
}

/// TOML's own message, made one line; it may quote a value from the file.
fn shorten_long(message: &str) -> String {
    crate::error::cut(&crate::error::one_line(message), 200)
}

fn no_such_profile(name: &str, path: Option<&Path>) -> Failure {
    let shown = shorten(name);
    match path {
        Some(path) => Failure::NoInput(format!(
            "--profile '{shown}': no [profile.{shown}] table in {}",
            shorten_path(path)
        )),
        None => Failure::NoInput(format!(
            "--profile '{shown}': no config file (set XDG_CONFIG_HOME, HOME or MQTK_CONFIG)"
        )),
    }
}

impl Profile {
    /// `self`'s settings, falling back to `base` where `self` has none.
    fn over(self, mut base: Profile) -> Profile {
        // Separate address fields beat a URL of the same table, so a named profile's URL must
        // not lose to [default]'s host or port.
        if self.url.is_some() {
            base.host = None;
            base.port = None;
            base.username = None;
            base.password = None;
        }
        Profile {
            host: self.host.or(base.host),
            port: self.port.or(base.port),
            url: self.url.or(base.url),
            ws: self.ws.or(base.ws),
            ws_path: self.ws_path.or(base.ws_path),
            unix: self.unix.or(base.unix),
            proxy: self.proxy.or(base.proxy),
            protocol_version: self.protocol_version.or(base.protocol_version),
            keepalive: self.keepalive.or(base.keepalive),
            connect_timeout: self.connect_timeout.or(base.connect_timeout),
            username: self.username.or(base.username),
            password: self.password.or(base.password),
            password_file: self.password_file.or(base.password_file),
            cafile: self.cafile.or(base.cafile),
            capath: self.capath.or(base.capath),
            tls_use_os_certs: self.tls_use_os_certs.or(base.tls_use_os_certs),
            cert: self.cert.or(base.cert),
            key: self.key.or(base.key),
            insecure: self.insecure.or(base.insecure),
            tls_version: self.tls_version.or(base.tls_version),
            tls_alpn: self.tls_alpn.or(base.tls_alpn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_profile_overrides_default_table() {
        let file = parse(
            "[default]\nhost = \"a\"\nport = 1\n[profile.x]\nport = 2\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let merged = file.profile["x"].clone().over(file.default);
        assert_eq!(merged.host.as_deref(), Some("a"));
        assert_eq!(merged.port, Some(2));
    }

    #[test]
    fn named_profile_url_beats_default_host_and_port() {
        let file = parse(
            "[default]\nhost = \"a\"\nport = 1\n[profile.x]\nurl = \"mqtt://b:2\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let merged = file.profile["x"].clone().over(file.default);
        assert_eq!((merged.host, merged.port), (None, None));
        assert_eq!(merged.url.as_deref(), Some("mqtt://b:2"));
    }

    #[test]
    fn bad_values_name_file_and_line() {
        let text = "[default]\nhost = \"a\"\n\n[profile.x]\nport = 2\nprotocol-version = \"7\"\n";
        let file = parse(text, Path::new("c.toml")).unwrap();
        let at = Located {
            text,
            path: Path::new("c.toml"),
            table: "profile.x".into(),
        };
        let err = file.profile["x"].validate(&at).unwrap_err().to_string();
        assert!(
            err.starts_with("config file c.toml:6: protocol-version:"),
            "{err}"
        );
    }

    #[test]
    fn malformed_file_names_file_and_line() {
        let err = parse(
            "[default]\nhost = \"a\"\nport = \"x\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("config file c.toml:3:"),
            "{err}"
        );
        let err = parse("[default]\nhots = 1\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("c.toml:2"), "{err}");
    }
}
