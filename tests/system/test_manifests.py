"""Kubernetes manifests as people write them, in one booted image: a
Deployment serving a ConfigMap's file with a Secret in its environment,
a liveness probe that fails and restarts its container, a readiness
probe that gates READY, a DaemonSet with hostPID seeing the host's init
as pid 1, a Job run to completion, a claim that outlives its pod, a
rolling update that never has zero ready copies, and the imagectl that
goes with them (namespaces, -f -, --dry-run, delete -f, get -o yaml,
describe's events, rollout restart)."""
import os
import re
import time

import pytest

import keelvm
from test_pods import IMAGE, registry, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(
    not keelvm.have_qemu() or not keelvm.busybox(),
    reason="needs qemu and the static busybox of the guest's arch")

SITE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: site
  namespace: shop
  labels: {app.kubernetes.io/name: site}
data:
  index.html: "served from a ConfigMap {REV}"
---
apiVersion: v1
kind: Secret
metadata: {name: site, namespace: shop}
stringData:
  token: s3cret-in-env
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: site
  namespace: shop
  labels: {app.kubernetes.io/name: site}
spec:
  replicas: 2
  selector:
    matchLabels: {app: site}
  template:
    metadata:
      labels: {app: site}
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: {disktype: ssd}
      containers:
      - name: web
        image: IMAGE
        command: [/bin/httpd, -f, -p, "80", -h, /www]
        env:
        - name: TOKEN
          valueFrom:
            secretKeyRef: {name: site, key: token}
        - name: REV
          value: "{REV}"
        ports:
        - {containerPort: 80, name: http}
        readinessProbe:
          httpGet: {path: /index.html, port: http}
          periodSeconds: 1
        volumeMounts:
        - {name: www, mountPath: /www}
      volumes:
      - name: www
        configMap: {name: site}
"""

PROBES = """apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: flaky
    image: IMAGE
    command: [/bin/sh, -c, "touch /tmp/alive; sleep 6; rm /tmp/alive; sleep 3600"]
    livenessProbe:
      exec: {command: [/bin/sh, -c, "test -e /tmp/alive"]}
      periodSeconds: 2
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: gate}
spec:
  containers:
  - name: gate
    image: IMAGE
    command: [/bin/sleep, "3600"]
    readinessProbe:
      exec: {command: [/bin/sh, -c, "test -e /tmp/ready"]}
      periodSeconds: 1
"""

AGENT = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostPID: true
      tolerations: [{operator: Exists}]
      containers:
      - name: agent
        image: IMAGE
        command: [/bin/sleep, "3600"]
        volumeMounts:
        - {name: proc, mountPath: /host/proc, readOnly: true}
      volumes:
      - name: proc
        hostPath: {path: /proc}
---
apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  completions: 2
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: count
        image: IMAGE
        command: [/bin/sh, -c, "echo counted"]
"""

CLAIM = """apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 8Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: POD}
spec:
  securityContext: {fsGroup: 2000, runAsUser: 1000}
  containers:
  - name: c
    image: IMAGE
    command: [/bin/sh, -c, "CMD; sleep 3600"]
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
"""

WAITS = """apiVersion: v1
kind: Pod
metadata: {name: waits, namespace: shop}
spec:
  containers:
  - name: waits
    image: IMAGE
    command: [/bin/sh, -c, "echo $LATER; sleep 3600"]
    env:
    - name: LATER
      valueFrom:
        configMapKeyRef: {name: later, key: word}
"""

EXTRAS = """apiVersion: v1
kind: ConfigMap
metadata: {name: extras}
data: {one.conf: "one=1"}
---
apiVersion: v1
kind: Pod
metadata:
  name: extras
  labels: {app: extras}
spec:
  shareProcessNamespace: true
  hostAliases:
  - {ip: 10.1.2.3, hostnames: [foo.local]}
  dnsConfig:
    options: [{name: ndots, value: "2"}]
  securityContext:
    sysctls:
    - {name: net.ipv4.ip_unprivileged_port_start, value: "80"}
  containers:
  - name: a
    image: IMAGE
    command: [/bin/sleep, "3600"]
    lifecycle:
      postStart: {exec: {command: [/bin/touch, /tmp/started]}}
    volumeMounts:
    - {name: info, mountPath: /etc/podinfo}
    - {name: conf, mountPath: /etc/one.conf, subPath: one.conf}
  - name: b
    image: IMAGE
    command: [/bin/sleep, "3600"]
    securityContext:
      seccompProfile: {type: Unconfined}
  volumes:
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
  - name: conf
    configMap: {name: extras}
---
apiVersion: v1
kind: Pod
metadata: {name: rooted}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: rooted
    image: IMAGE
    command: [/bin/sleep, "3600"]
"""


def put(m, path, text):
    """A file in the guest, a few lines a command: the console takes
    lines of 4 KiB at most."""
    lines = text.strip("\n").split("\n")
    for i in range(0, len(lines), 12):
        part = " ".join(f"'{line}'" for line in lines[i:i + 12])
        m.check(f"printf '%s\\n' {part} {'>' if i == 0 else '>>'} {path}")


def ready_copies(m, ns, prefix):
    """How many of the pods named prefix-N are ready, and their names."""
    out = m.check(f"imagectl pods -n {ns}")
    ready, names = 0, []
    for line in out.splitlines()[1:]:
        f = line.split()
        if f and re.fullmatch(prefix + r"-\d+", f[0]):
            names.append(f[0])
            ready += f[1] == "1/1"
    return ready, names


def test_manifests(registry, workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        site = SITE.replace("IMAGE", IMAGE)
        put(m, "/run/site.yaml", site.replace("{REV}", "one"))
        # checked, not kept
        out = m.check("imagectl apply --dry-run -f /run/site.yaml")
        assert "deployment.apps/site created (dry run)" in out, out
        assert "site" not in m.check("imagectl get deployments -A")
        # three documents, from standard input
        out = m.check("imagectl apply -f - < /run/site.yaml")
        for made in ("configmap/site created", "secret/site created",
                     "deployment.apps/site created"):
            assert made in out, out
        assert "note: Deployment shop/site" in m.check(
            "grep note: /var/log/imaged.log")
        wait_for(m, "imagectl get deployments -n shop", "2/2", timeout=240)
        ready, names = ready_copies(m, "shop", "site")
        assert ready == 2 and sorted(names) == ["site-0", "site-1"], names
        # the ConfigMap's file served, the Secret in the environment
        ip = m.check("imagectl get pods -n shop -o json | "
                     "grep -m1 podIP | cut -d'\"' -f4").strip()
        assert "served from a ConfigMap one" in m.check(
            f"wget -qO- http://{ip}/index.html")
        ex = "imagectl exec -n shop site-0 --"
        assert m.check(f"{ex} sh -c 'echo $TOKEN'").strip() == \
            "s3cret-in-env"
        # the Secret's bytes on a tmpfs of the pod's, never on /var
        assert "tmpfs" in m.check("grep /run/imaged/pods/shop_site-0/vol/www "
                                  "/proc/mounts")
        rc, _ = m.run("grep -rl s3cret-in-env /var/lib/keel/containers")
        assert rc != 0
        assert m.check("stat -c %a /var/lib/keel/pods/secret_shop_site.yaml"
                       ).strip() == "600"
        # namespaces apart: -n, -A
        assert "site-0" not in m.check("imagectl pods")
        assert re.search(r"shop\s+site-0", m.check("imagectl pods -A"))
        yaml = m.check("imagectl get pods -n shop site-0 -o yaml")
        assert "restartCount: 0" in yaml and "kind: Deployment" in yaml, yaml

        # a new template: replaced one at a time, never zero ready
        put(m, "/run/site2.yaml", site.replace("{REV}", "two"))
        out = m.check("imagectl apply -f /run/site2.yaml")
        assert "deployment.apps/site configured" in out, out
        assert "secret/site unchanged" in out, out
        deadline, seen = time.time() + 240, set()
        while True:
            ready, names = ready_copies(m, "shop", "site")
            assert ready >= 1, names
            seen.update(names)
            pods = m.check("imagectl get pods -n shop -o json")
            if pods.count('"value":\t"two"') == 2 and len(names) == 2 \
                    and ready == 2:
                break
            assert time.time() < deadline, pods
            time.sleep(0.5)
        assert len(seen) > 2, seen  # new pods came, old ones went
        assert "served from a ConfigMap two" in m.check(
            f"wget -qO- http://{ip}/index.html || "
            "imagectl exec -n shop site-0 -- cat /www/index.html")
        # rollout restart: replaced again, the same way
        assert "restarted" in m.check(
            "imagectl rollout restart deployment/site -n shop")
        wait_for(m, "grep 'site: rollout restart' /var/log/imaged.log",
                 "restart")

        # liveness restarts, readiness gates READY
        put(m, "/run/probes.yaml", PROBES.replace("IMAGE", IMAGE))
        m.check("imagectl apply -f /run/probes.yaml")
        wait_for(m, "imagectl describe flaky", "Restart Count:  1",
                 timeout=120)
        events = m.check("imagectl describe flaky")
        assert "Liveness probe failed" in events, events
        assert "failed liveness probe, will be restarted" in events, events
        wait_for(m, "imagectl pods", "gate", timeout=60)
        line = [ln for ln in m.check("imagectl pods").splitlines()
                if ln.startswith("gate ")][0].split()
        assert line[1] == "0/1" and line[2] == "Running", line
        m.check("imagectl exec gate -- touch /tmp/ready")
        wait_for(m, "imagectl pods | grep '^gate '", "1/1", timeout=30)

        # hostPID: the host's init is pid 1; a Job to its end
        put(m, "/run/agent.yaml", AGENT.replace("IMAGE", IMAGE))
        m.check("imagectl apply -f /run/agent.yaml")
        wait_for(m, "imagectl pods -n monitoring", "Running", timeout=60)
        assert m.check("imagectl exec -n monitoring agent-0 -- "
                       "cat /proc/1/comm").strip() == \
            m.check("cat /proc/1/comm").strip()
        wait_for(m, "imagectl get jobs", "Complete", timeout=120)
        assert re.search(r"count\s+Complete\s+2/2",
                         m.check("imagectl get jobs"))
        assert m.check("imagectl pods").count("Completed") == 2
        assert "counted" in m.check("imagectl logs count-0")

        # a claim outlives its pod; fsGroup owns it
        claim = CLAIM.replace("IMAGE", IMAGE)
        put(m, "/run/writer.yaml", claim.replace("POD", "writer").replace(
            "CMD", "echo kept > /data/f"))
        m.check("imagectl apply -f /run/writer.yaml")
        wait_for(m, "imagectl exec writer -- cat /data/f", "kept", timeout=60)
        assert m.check("stat -c %g /var/lib/keel/volumes/default/data/f"
                       ).strip() == "2000"
        rc, out = m.run("imagectl delete persistentvolumeclaim data")
        assert rc == 1 and "used by pod writer" in out, out
        m.check("imagectl delete writer")
        put(m, "/run/reader.yaml", claim.replace("POD", "reader").replace(
            "CMD", "cat /data/f"))
        m.check("imagectl apply -f /run/reader.yaml")
        wait_for(m, "imagectl logs reader", "kept", timeout=60)
        # delete -f: what the file made, the claim's data with it
        out = m.check("imagectl delete -f /run/reader.yaml", timeout=60)
        assert "persistentvolumeclaim/data deleted" in out, out
        rc, _ = m.run("ls /var/lib/keel/volumes/default/data")
        assert rc != 0

        # a missing ConfigMap holds a pod back until it is applied
        put(m, "/run/waits.yaml", WAITS.replace("IMAGE", IMAGE))
        m.check("imagectl apply -f /run/waits.yaml")
        wait_for(m, "imagectl pods -n shop", "CreateContainerConfigError")
        m.check("printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: "
                "{name: later, namespace: shop}\\ndata: {word: here}\\n' | "
                "imagectl apply -f -")
        wait_for(m, "imagectl logs -n shop waits", "here", timeout=60)

        # what the pod's spec asks of its sandbox and containers
        put(m, "/run/extras.yaml", EXTRAS.replace("IMAGE", IMAGE))
        m.check("imagectl apply -f /run/extras.yaml")
        wait_for(m, "imagectl pods | grep '^extras '", "2/2", timeout=60)
        ea, eb = "imagectl exec extras -c a --", "imagectl exec extras -c b --"
        # one PID namespace: keel-pause is its pid 1, b sees a's sleep
        assert m.check(f"{eb} cat /proc/1/comm").strip() == "keel-pause"
        assert len([p for p in m.check(f"{eb} ls /proc").split()
                    if p.isdigit()]) >= 3
        assert m.check(f"{ea} cat /proc/sys/net/ipv4/"
                       "ip_unprivileged_port_start").strip() == "80"
        assert "10.1.2.3\tfoo.local" in m.check(f"{ea} cat /etc/hosts")
        assert "options ndots:2" in m.check(f"{ea} cat /etc/resolv.conf")
        m.check(f"{ea} ls /tmp/started")
        assert 'app="extras"' in m.check(f"{ea} cat /etc/podinfo/labels")
        assert m.check(f"{ea} cat /etc/one.conf").strip() == "one=1"
        assert "Seccomp:\t0" in m.check(f"{eb} cat /proc/self/status")
        assert "Seccomp:\t2" in m.check(f"{ea} cat /proc/self/status")
        wait_for(m, "imagectl describe rooted", "runAsNonRoot", timeout=60)
        assert "CreateContainerError" in m.check("imagectl pods")
        m.check("imagectl delete -f /run/extras.yaml", timeout=60)

        # everything applied comes back after a reboot
        m.child.sendline("reboot")
        m.expect(r"keel: reboot now")
        m.wait_ready()
        wait_for(m, "imagectl get deployments -n shop", "2/2", timeout=120)
        assert re.search(r"count\s+Complete\s+2/2",
                         m.check("imagectl get jobs"))
        assert "Running" in m.check("imagectl pods -n monitoring")
    finally:
        m.kill()
