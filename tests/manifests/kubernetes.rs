//! `manifests/kubernetes/`: the base names pimbot's port, probes and config keys (its
//! `pimbot.toml` and the Secret's `PIMBOT_*` names load with pimbot's own config loader), runs
//! locked down, and the overlays render (with `kubectl kustomize`) to what they promise. CI
//! validates the same renderings against the Kubernetes schemas (`.ci/run`).

use serde::Deserialize;
use serde_json::Value;

use crate::{default_port, manifest, read};

/// One YAML document as JSON.
pub(crate) fn yaml(path: &str) -> Value {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn documents(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).expect("YAML"))
        .filter(|value| !value.is_null())
        .collect()
}

/// `kubectl kustomize` of `dir` (under manifests/kubernetes); `None` without kubectl outside CI.
pub(crate) fn render(dir: &str) -> Option<Vec<Value>> {
    let path = manifest(&format!("kubernetes/{dir}"));
    let output = match std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&path)
        .output()
    {
        Ok(output) => output,
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping the rendering of {dir}: kubectl is not installed ({error})");
            return None;
        }
        Err(error) => panic!("kubectl kustomize (CI installs kubectl): {error}"),
    };
    assert!(
        output.status.success(),
        "kubectl kustomize {dir}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(documents(&String::from_utf8_lossy(&output.stdout)))
}

pub(crate) fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

/// Where the Deployment mounts the ConfigMap's `pimbot.toml`, as `serve --config` names it.
pub(crate) fn config_file_path() -> String {
    let deployment = yaml("kubernetes/base/deployment.yaml");
    let mount = container(&deployment)["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == "config")
        .expect("the config volume is mounted")["mountPath"]
        .as_str()
        .expect("path")
        .to_owned();
    format!("{mount}/pimbot.toml")
}

/// The environment the pod gets: the Secret template's values and the Deployment's literals.
fn pod_environment(deployment: &Value, secret: &Value) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = secret["stringData"]
        .as_object()
        .expect("stringData")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_owned()))
        .collect();
    for variable in container(deployment)["env"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = variable["name"].as_str().expect("name").to_owned();
        env.retain(|(k, _)| *k != name);
        env.push((
            name,
            variable["value"].as_str().expect("a literal").to_owned(),
        ));
    }
    env
}

/// What pimbot loads in a rendered overlay's pod: its ConfigMap, with the Secret template's and
/// the Deployment's variables.
fn rendered_config(objects: &[Value]) -> pimbot::config::Config {
    let secret = yaml("kubernetes/base/secret.example.yaml");
    let env = pod_environment(find(objects, "Deployment"), &secret);
    let toml = find(objects, "ConfigMap")["data"]["pimbot.toml"]
        .as_str()
        .expect("pimbot.toml");
    pimbot::config::Config::parse(toml, &env)
        .unwrap_or_else(|e| panic!("the overlay's config: {e}"))
}

#[test]
fn the_base_runs_pimbot_on_its_port_with_its_probes_locked_down() {
    let deployment = yaml("kubernetes/base/deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    let main = container(&deployment);
    let port = &main["ports"][0];
    assert_eq!(main["ports"].as_array().map(Vec::len), Some(1), "one port");
    assert_eq!(
        port["containerPort"],
        default_port(),
        "server.listen's default"
    );
    assert_eq!(port["name"], "http");
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        assert_eq!(main[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(main[probe]["httpGet"]["port"], "http", "{probe}");
    }
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["runAsUser"], 65532,
        "the image's user"
    );
    assert_eq!(main["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(main["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(main["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert!(main["resources"]["requests"]["cpu"].is_string());
    assert!(main["resources"]["requests"]["memory"].is_string());
    assert_eq!(
        main["args"],
        serde_json::json!(["serve", "--config", config_file_path()])
    );

    let service = yaml("kubernetes/base/service.yaml");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    let policy = yaml("kubernetes/base/networkpolicy.yaml");
    assert_eq!(
        policy["spec"]["ingress"][0]["ports"][0]["port"],
        default_port()
    );
    let budget = yaml("kubernetes/base/poddisruptionbudget.yaml");
    assert_eq!(budget["spec"]["maxUnavailable"], 1);
    assert_eq!(
        budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "pimbot"
    );
}

#[test]
fn the_config_map_and_the_secret_load_with_pimbots_own_config_loader() {
    let map = yaml("kubernetes/base/configmap.yaml");
    let toml = map["data"]["pimbot.toml"].as_str().expect("pimbot.toml");
    let deployment = yaml("kubernetes/base/deployment.yaml");
    let secret = yaml("kubernetes/base/secret.example.yaml");
    let env = pod_environment(&deployment, &secret);
    let config = pimbot::config::Config::parse(toml, &env)
        .unwrap_or_else(|e| panic!("the ConfigMap with the Secret's variables: {e}"));
    config
        .validate_for_serve()
        .unwrap_or_else(|e| panic!("serve would refuse it: {e}"));
    assert_eq!(config.server.listen.port(), default_port());
    assert!(config.slack.is_some() && config.teams.is_some());
    assert_eq!(
        config.azure.credential,
        pimbot::config::AzureCredential::WorkloadIdentity
    );
    let main = container(&deployment);
    assert_eq!(
        main["envFrom"][0]["secretRef"]["name"],
        secret["metadata"]["name"]
    );

    // Workload identity: the service account names the app registration pimbot signs in as.
    let account = yaml("kubernetes/base/serviceaccount.yaml");
    let annotations = &account["metadata"]["annotations"];
    assert_eq!(
        annotations["azure.workload.identity/client-id"],
        config.azure.client_id.as_str()
    );
    assert_eq!(
        annotations["azure.workload.identity/tenant-id"],
        config.azure.tenant_id.as_str()
    );
    let pod = &deployment["spec"]["template"];
    assert_eq!(
        pod["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    assert_eq!(
        pod["spec"]["serviceAccountName"],
        account["metadata"]["name"]
    );
}

#[test]
fn the_sqlite_overlay_is_one_replica_with_its_database_on_a_volume() {
    let Some(objects) = render("overlays/sqlite") else {
        return;
    };
    let deployment = find(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    let claim = find(&objects, "PersistentVolumeClaim");
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes");
    let data = volumes
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"])
        .expect("the claim is a volume");
    let main = container(deployment);
    let mount = main["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == data["name"])
        .expect("and mounted")["mountPath"]
        .as_str()
        .expect("path");

    let config = rendered_config(&objects);
    let url = &config.database.url;
    assert!(
        url.starts_with(&format!("sqlite://{mount}/")),
        "the database ({url}) is on the volume at {mount}"
    );
    for object in &objects {
        assert_eq!(
            object["metadata"]["namespace"], "pimbot",
            "{}",
            object["kind"]
        );
    }
}

#[test]
fn the_postgres_overlay_runs_several_replicas_that_may_reach_the_database() {
    let Some(objects) = render("overlays/postgres") else {
        return;
    };
    let deployment = find(&objects, "Deployment");
    assert!(deployment["spec"]["replicas"].as_u64() >= Some(2));
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        0
    );
    assert!(!objects.iter().any(|o| o["kind"] == "PersistentVolumeClaim"));
    let policy = find(&objects, "NetworkPolicy");
    let ports: Vec<&Value> = policy["spec"]["egress"]
        .as_array()
        .expect("egress")
        .iter()
        .flat_map(|rule| rule["ports"].as_array().into_iter().flatten())
        .map(|p| &p["port"])
        .collect();
    assert!(ports.contains(&&Value::from(5432)), "{ports:?}");
    assert!(ports.contains(&&Value::from(443)), "{ports:?}");
    // The database URL comes from the Secret, as the postgres:// URL pimbot needs.
    assert!(
        rendered_config(&objects)
            .database
            .url
            .starts_with("postgres://")
    );
    // The Service, the budget and the policy select the Deployment's pods.
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (kind, selector) in [
        ("Deployment", "/spec/selector/matchLabels"),
        ("Service", "/spec/selector"),
        ("PodDisruptionBudget", "/spec/selector/matchLabels"),
        ("NetworkPolicy", "/spec/podSelector/matchLabels"),
    ] {
        let wanted = find(&objects, kind)
            .pointer(selector)
            .and_then(Value::as_object);
        let wanted = wanted.unwrap_or_else(|| panic!("{kind} has a selector"));
        assert!(!wanted.is_empty(), "{kind}");
        for (key, value) in wanted {
            assert_eq!(&labels[key], value, "{kind} selects {key}");
        }
    }
    let image = container(deployment)["image"].as_str().expect("image");
    assert!(
        image.ends_with(&format!("/pimbot:{}", env!("CARGO_PKG_VERSION"))),
        "{image}"
    );
}
