/**
 * The Helm chart in deploy/helm/fulmar, checked with the real helm (built by `npm run tools`):
 * `helm lint`, and `helm template` parsed back into objects whose properties are asserted — the
 * probes, the shutdown timing, where each credential comes from, which optional objects exist —
 * and whose environment Fulmar's own config parser accepts. No cluster is involved.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { loadConfig, settings } from '../../src/config/config.js';
import { CHART_DIR, dig, ensureHelmBinary, helm, renderChart, type Manifest } from '../helpers/helm.js';
import { repoRoot } from '../helpers/pods.js';

const FULL_VALUES = join(repoRoot, 'test', 'deploy', 'helm-values-full.yaml');
const KEY = Buffer.alloc(32, 7).toString('base64');

/** The least a render needs: a bucket and the two Secrets, everything else the chart's defaults. */
const REQUIRED = [
  ['s3.endpoint', 'http://minio.storage:9000'],
  ['s3.bucket', 'fulmar-state'],
  ['s3.credentials.existingSecret', 'fulmar-s3'],
  ['masterKeys.existingSecret', 'fulmar-keys'],
];
const set = (pairs: string[][]) => pairs.flatMap(([k, v]) => ['--set', `${k}=${v}`]);
const required = (...more: string[][]) => set([...REQUIRED, ...more]);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  readinessProbe: { httpGet: { path: string; port: string | number }; timeoutSeconds: number };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  startupProbe?: { httpGet: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext: Record<string, unknown>;
}

function only(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, `${kind} objects`).to.have.length(1);
  return found[0] as Manifest;
}
const kinds = (manifests: Manifest[]) => manifests.map((m) => m.kind).sort();
const container = (manifests: Manifest[]) => dig(only(manifests, 'Deployment'), 'spec', 'template', 'spec', 'containers', 0) as Container;
const envOf = (c: Container, name: string) => c.env.find((e) => e.name === name);

/** The container port a probe's port (a name or a number) points at. */
function probePort(c: Container, port: string | number): number | undefined {
  return typeof port === 'number' ? port : c.ports.find((p) => p.name === port)?.containerPort;
}

/** The container's environment as the pod would see it, with secretKeyRefs read from `secrets`. */
function resolveEnv(c: Container, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref ? secrets[ref.name]?.[ref.key] : e.value;
    if (value === undefined) throw new Error(`${e.name} refers to ${ref?.name}/${ref?.key}, which the test did not provide`);
    env[e.name] = value;
  }
  return env;
}

/** helm's stderr for a render that must fail; fails the test when it renders. */
async function renderFailure(flags: string[]): Promise<string> {
  const r = await helm(['template', 'fulmar', CHART_DIR, ...flags]);
  expect(r.code, `helm template should have failed, rendered:\n${r.stdout.slice(0, 400)}`).to.not.equal(0);
  return r.stderr;
}

describe('Helm chart (deploy/helm/fulmar)', function () {
  this.timeout(60_000);

  before(function () {
    ensureHelmBinary(this);
  });

  it('passes helm lint --strict with the required values and with the full values file', async () => {
    for (const flags of [required(), ['-f', FULL_VALUES]]) {
      const r = await helm(['lint', '--strict', CHART_DIR, ...flags]);
      expect(r.code, `helm lint ${flags.join(' ')}:\n${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.contain('0 chart(s) failed');
    }
  });

  it('refuses the bare defaults, saying the master keys (and the bucket) must be given', async () => {
    const stderr = await renderFailure([]);
    expect(stderr).to.contain('masterKeys: set masterKeys.existingSecret (preferred');
    expect(stderr).to.contain('FULMAR_MASTER_KEYS');
    expect(stderr).to.contain('s3.bucket is required');
    expect(stderr).to.contain('s3.credentials: set s3.credentials.existingSecret');

    // With everything else given, the master keys are the one problem named.
    const keysOnly = await renderFailure(set(REQUIRED.filter(([k]) => k !== 'masterKeys.existingSecret')));
    expect(keysOnly).to.contain('masterKeys: set masterKeys.existingSecret');
    expect(keysOnly).to.not.contain('s3.');
  });

  it('has Chart.yaml appVersion = package.json version, and the image tag defaults to it', async () => {
    const chart = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string };
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(chart.apiVersion).to.equal('v2');
    expect(chart.appVersion).to.equal(pkg.version);
    expect(container(await renderChart(required())).image).to.equal(`fulmar:${pkg.version}`);
  });

  describe('with the required values only', () => {
    let manifests: Manifest[];
    before(async () => {
      manifests = await renderChart(required());
    });

    it('renders a Deployment, Service, ServiceAccount and (2 replicas) a PDB; no Ingress, ServiceMonitor or Secret', () => {
      expect(kinds(manifests)).to.deep.equal(['Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
      expect(dig(only(manifests, 'Deployment'), 'spec', 'replicas')).to.equal(2);
    });

    it('probes /readyz for readiness and /healthz for liveness, on the port Fulmar listens on', () => {
      const c = container(manifests);
      const listens = Number(envOf(c, 'PORT')?.value);
      expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
      expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
      expect(c.startupProbe?.httpGet.path).to.equal('/healthz');
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        expect(probePort(c, probe?.httpGet.port ?? -1)).to.equal(listens).and.to.equal(8080);
      }
      // The probe outlasts Fulmar's own bucket deadline, so a slow bucket reads as its 503.
      expect(c.readinessProbe.timeoutSeconds * 1000).to.be.greaterThan(Number(envOf(c, 'FULMAR_READY_TIMEOUT_MS')?.value));
    });

    it('gives Kubernetes more time than the preStop pause plus FULMAR_SHUTDOWN_GRACE_MS', () => {
      const c = container(manifests);
      const grace = Number(dig(only(manifests, 'Deployment'), 'spec', 'template', 'spec', 'terminationGracePeriodSeconds'));
      const drainMs = Number(envOf(c, 'FULMAR_SHUTDOWN_GRACE_MS')?.value);
      const pause = c.lifecycle?.preStop?.exec?.command;
      expect(pause?.[0]).to.equal('sleep');
      expect(drainMs).to.equal(25_000);
      expect(grace).to.be.greaterThan(Number(pause?.[1]) + drainMs / 1000);
      expect(grace).to.be.greaterThan(drainMs / 1000);
    });

    it('takes every credential from the named Secrets, and sets no admin token', () => {
      const c = container(manifests);
      expect(envOf(c, 'FULMAR_MASTER_KEYS')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'fulmar-keys', key: 'master-keys' });
      expect(envOf(c, 'FULMAR_S3_ACCESS_KEY')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'fulmar-s3', key: 's3-access-key' });
      expect(envOf(c, 'FULMAR_S3_SECRET_KEY')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'fulmar-s3', key: 's3-secret-key' });
      expect(envOf(c, 'FULMAR_ADMIN_TOKEN')).to.equal(undefined);
      // No secret ever appears as a plain value.
      for (const name of ['FULMAR_MASTER_KEYS', 'FULMAR_S3_ACCESS_KEY', 'FULMAR_S3_SECRET_KEY']) {
        expect(envOf(c, name)?.value, name).to.equal(undefined);
      }
    });

    it("sets an environment Fulmar's config accepts: S3, trusted proxy, Fulmar's defaults for the rest", () => {
      const c = container(manifests);
      const env = resolveEnv(c, {
        'fulmar-keys': { 'master-keys': `k1:${KEY}` },
        'fulmar-s3': { 's3-access-key': 'AK', 's3-secret-key': 'SK' },
      });
      const config = loadConfig(env);
      expect(config.storage).to.deep.include({ kind: 's3', endpoint: 'http://minio.storage:9000', bucket: 'fulmar-state', accessKey: 'AK' });
      expect(config.shutdownGraceMs).to.equal(25_000);
      expect(config.trustProxy).to.equal(true);
      // Unset: Fulmar's default http://localhost:<port> applies (NOTES.txt says to port-forward).
      expect(config.publicUrl).to.equal(undefined);
      expect(env).to.not.have.any.keys('FULMAR_LOG_LEVEL', 'FULMAR_CACHE_BYTES', 'FULMAR_S3_REGION', 'FULMAR_PUBLIC_URL');
    });

    it('runs as non-root on a read-only root filesystem, without the API token or service links', () => {
      const pod = dig(only(manifests, 'Deployment'), 'spec', 'template', 'spec') as Record<string, unknown>;
      const c = container(manifests);
      expect(dig(pod, 'securityContext', 'runAsNonRoot')).to.equal(true);
      expect(dig(pod, 'securityContext', 'runAsUser')).to.be.a('number').and.not.equal(0);
      expect(c.securityContext).to.deep.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(dig(c.securityContext, 'capabilities', 'drop')).to.deep.equal(['ALL']);
      expect(pod.automountServiceAccountToken).to.equal(false);
      expect(pod.enableServiceLinks).to.equal(false);
    });

    it('points the Service and the PDB at the pods the Deployment makes', () => {
      const podLabels = dig(only(manifests, 'Deployment'), 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
      const service = only(manifests, 'Service');
      expect(podLabels).to.deep.include(dig(service, 'spec', 'selector') as Record<string, string>);
      expect(podLabels).to.deep.include(dig(only(manifests, 'PodDisruptionBudget'), 'spec', 'selector', 'matchLabels') as Record<string, string>);
      expect(dig(service, 'spec', 'ports', 0, 'targetPort')).to.equal('http');
    });
  });

  describe('with the full values file (test/deploy/helm-values-full.yaml)', () => {
    let manifests: Manifest[];
    let values: Record<string, any>;
    before(async () => {
      manifests = await renderChart(['-f', FULL_VALUES]);
      values = parseYaml(readFileSync(FULL_VALUES, 'utf8')) as Record<string, any>;
    });

    it('renders every object: 3 replicas, a PDB, the Ingress and the ServiceMonitor, and no Secret of its own', () => {
      expect(kinds(manifests)).to.deep.equal(['Deployment', 'Ingress', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor']);
      expect(dig(only(manifests, 'Deployment'), 'spec', 'replicas')).to.equal(3);
      expect(dig(only(manifests, 'PodDisruptionBudget'), 'spec', 'maxUnavailable')).to.equal(1);
    });

    it('takes the master keys, the admin token and the S3 keys from the named Secrets and keys', () => {
      const c = container(manifests);
      const ref = (name: string) => envOf(c, name)?.valueFrom?.secretKeyRef;
      expect(ref('FULMAR_MASTER_KEYS')).to.deep.equal({ name: 'fulmar-keyring', key: 'keyring' });
      expect(ref('FULMAR_ADMIN_TOKEN')).to.deep.equal({ name: 'fulmar-admin', key: 'token' });
      expect(ref('FULMAR_S3_ACCESS_KEY')).to.deep.equal({ name: 'fulmar-bucket', key: 'AWS_ACCESS_KEY_ID' });
      expect(ref('FULMAR_S3_SECRET_KEY')).to.deep.equal({ name: 'fulmar-bucket', key: 'AWS_SECRET_ACCESS_KEY' });
    });

    it('derives the grace period from the one shutdown value, and the public URL from the TLS Ingress host', () => {
      const c = container(manifests);
      const spec = dig(only(manifests, 'Deployment'), 'spec', 'template', 'spec') as Record<string, unknown>;
      expect(envOf(c, 'FULMAR_SHUTDOWN_GRACE_MS')?.value).to.equal('45500');
      // preStop 10 s + 45.5 s rounded up to 46 + margin 5.
      expect(spec.terminationGracePeriodSeconds).to.equal(61);
      expect(c.lifecycle?.preStop?.exec?.command).to.deep.equal(['sleep', '10']);
      expect(envOf(c, 'FULMAR_PUBLIC_URL')?.value).to.equal('https://pulumi.example.com');
      expect(c.readinessProbe.timeoutSeconds).to.equal(5);
    });

    it("passes every optional setting through as Fulmar's config reads it (integers stay integers)", () => {
      const c = container(manifests);
      const config = loadConfig(
        resolveEnv(c, {
          'fulmar-keyring': { keyring: `k1:${KEY}` },
          'fulmar-admin': { token: 'a-bootstrap-admin-token' },
          'fulmar-bucket': { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK' },
          'fulmar-console': { session: Buffer.alloc(32, 3).toString('base64'), oidc: 'an-oidc-client-secret' },
        }),
      );
      // The console: on the pods' one port, with the session key and the OIDC client from the Secret.
      expect(config.console).to.deep.include({ url: 'https://console.example.com', port: undefined, sessionTtlSeconds: 8 * 3600 });
      expect(config.console.sessionKey).to.deep.equal(Buffer.alloc(32, 3));
      expect(config.console.oidc).to.deep.include({
        issuer: 'https://login.example.com/realms/acme',
        clientId: 'fulmar',
        clientSecret: 'an-oidc-client-secret',
        name: 'Acme SSO',
        userClaim: 'preferred_username',
        groupsClaim: 'groups',
      });
      expect(config.console.oidc?.roleMap).to.have.length(2);
      expect(config.storage).to.deep.include({ region: 'eu-west-1', prefix: 'fulmar/', pathStyle: false, bucket: 'acme-pulumi-state' });
      expect(config).to.deep.include({
        publicUrl: 'https://pulumi.example.com',
        adminToken: 'a-bootstrap-admin-token',
        logLevel: 'debug',
        cacheBytes: values.config.cacheBytes,
        maxBodyBytes: values.config.maxBodyBytes,
        deltaCutoffBytes: 0,
        journaling: false,
        journalMaxBatchBytes: values.config.journalMaxBatchBytes,
        journalCatchUpMs: 500,
        leaseSeconds: 600,
        storageTimeoutMs: 20_000,
        storageRetries: 5,
        readyTimeoutMs: 3_500,
        shutdownGraceMs: 45_500,
        trustProxy: true,
        metrics: true,
      });
      expect(envOf(c, 'NODE_OPTIONS')?.value).to.contain('--max-old-space-size');
      // Written as a person would, not as the float a values file parses to (5.36870912e+08).
      expect(envOf(c, 'FULMAR_CACHE_BYTES')?.value).to.equal('536870912');
      expect(envOf(c, 'FULMAR_MAX_BODY_BYTES')?.value).to.equal('1073741824');
    });

    it('routes the one Ingress host, with TLS, the class and the annotations, to the Service port', () => {
      const ingress = only(manifests, 'Ingress');
      expect(dig(ingress, 'spec', 'ingressClassName')).to.equal('nginx');
      expect(dig(ingress, 'spec', 'rules')).to.have.length(1);
      expect(dig(ingress, 'spec', 'rules', 0, 'host')).to.equal('pulumi.example.com');
      expect(dig(ingress, 'spec', 'tls', 0)).to.deep.equal({ hosts: ['pulumi.example.com'], secretName: 'pulumi-example-com-tls' });
      expect(dig(ingress, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service')).to.deep.equal({
        name: only(manifests, 'Service').metadata.name,
        port: { name: 'http' },
      });
      // The chart's default for ingress-nginx (checkpoints are large), and the file's own.
      expect(dig(ingress, 'metadata', 'annotations')).to.include({
        'nginx.ingress.kubernetes.io/proxy-body-size': '512m',
        'cert-manager.io/cluster-issuer': 'letsencrypt',
      });
    });

    it('scrapes /metrics on the http port of the Service the chart makes', () => {
      const monitor = only(manifests, 'ServiceMonitor');
      const service = only(manifests, 'Service');
      expect(monitor.apiVersion).to.equal('monitoring.coreos.com/v1');
      expect(dig(monitor, 'spec', 'endpoints')).to.deep.equal([
        { port: 'http', path: '/metrics', scheme: 'http', interval: '15s', scrapeTimeout: '10s' },
      ]);
      expect(service.metadata.labels).to.deep.include(dig(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>);
      expect(dig(service, 'spec', 'ports', 0, 'name')).to.equal('http');
      expect(monitor.metadata.labels).to.include({ release: 'prometheus' });
    });
  });

  it('makes a PodDisruptionBudget only with more than one replica, unless told otherwise', async () => {
    const hasPdb = async (...more: string[][]) => kinds(await renderChart(required(...more))).includes('PodDisruptionBudget');
    expect(await hasPdb(['replicas', '1'])).to.equal(false);
    expect(await hasPdb(['replicas', '3'])).to.equal(true);
    expect(await hasPdb(['replicas', '1'], ['podDisruptionBudget.enabled', 'true'])).to.equal(true);
    expect(await hasPdb(['replicas', '3'], ['podDisruptionBudget.enabled', 'false'])).to.equal(false);
  });

  it('keeps the grace period above FULMAR_SHUTDOWN_GRACE_MS whatever it is set to', async () => {
    for (const graceMs of [0, 1, 999, 1_000, 61_500, 600_000]) {
      const m = await renderChart(required(['shutdown.graceMs', String(graceMs)]));
      const c = container(m);
      const grace = Number(dig(only(m, 'Deployment'), 'spec', 'template', 'spec', 'terminationGracePeriodSeconds'));
      expect(envOf(c, 'FULMAR_SHUTDOWN_GRACE_MS')?.value).to.equal(String(graceMs));
      expect(grace, `graceMs ${graceMs}`).to.be.greaterThan(Number(c.lifecycle?.preStop?.exec?.command[1]) + graceMs / 1000);
    }
  });

  it('creates a Secret from credentials given as values, and the pods refer to it', async () => {
    const m = await renderChart(
      set([
        ['s3.endpoint', 'http://minio.storage:9000'],
        ['s3.bucket', 'fulmar-state'],
        ['s3.credentials.accessKey', 'AK'],
        ['s3.credentials.secretKey', 'SK'],
        ['masterKeys.value', `k1:${KEY}`],
        ['adminToken.value', 'a-bootstrap-admin-token'],
      ]),
    );
    const secret = only(m, 'Secret');
    const data = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(data).to.deep.equal({
      'master-keys': `k1:${KEY}`,
      'admin-token': 'a-bootstrap-admin-token',
      's3-access-key': 'AK',
      's3-secret-key': 'SK',
    });
    const c = container(m);
    const config = loadConfig(resolveEnv(c, { [secret.metadata.name]: data }));
    expect(config.adminToken).to.equal('a-bootstrap-admin-token');
    expect(config.masterKeys.map((k) => k.id)).to.deep.equal(['k1']);
    // A changed Secret rolls the pods.
    expect(dig(only(m, 'Deployment'), 'spec', 'template', 'metadata', 'annotations', 'checksum/secret')).to.match(/^[0-9a-f]{64}$/);
  });

  it('refuses credentials given twice, short admin tokens, and a ServiceMonitor without metrics', async () => {
    expect(await renderFailure(required(['masterKeys.value', `k1:${KEY}`]))).to.contain('masterKeys: give existingSecret or value, not both');
    expect(await renderFailure(required(['s3.credentials.accessKey', 'AK']))).to.contain('s3.credentials: give existingSecret or accessKey/secretKey, not both');
    expect(await renderFailure(required(['adminToken.value', 'short']))).to.contain('adminToken.value must be at least 16 characters');
    expect(await renderFailure(required(['console.sessionKey.existingSecret', 'k'], ['console.sessionKey.value', 'v']))).to.contain(
      'console.sessionKey: give existingSecret or value, not both',
    );
    expect(await renderFailure(required(['console.oidc.issuer', 'https://login.example.com']))).to.contain('console.oidc.clientId is required');
    expect(await renderFailure(required(['monitoring.serviceMonitor.enabled', 'true'], ['config.metrics', 'false']))).to.contain(
      'monitoring.serviceMonitor.enabled needs config.metrics not false',
    );
    expect(await renderFailure(required(['ingress.enabled', 'true']))).to.contain('ingress.host is required');
    // The schema refuses a grace Fulmar would refuse (FULMAR_SHUTDOWN_GRACE_MS is 0..600000).
    expect(await renderFailure(required(['shutdown.graceMs', '700000']))).to.contain('graceMs');
  });

  it('takes publicUrl over the Ingress host, and http:// for an Ingress without TLS', async () => {
    const url = async (...more: string[][]) => envOf(container(await renderChart(required(...more))), 'FULMAR_PUBLIC_URL')?.value;
    expect(await url(['ingress.enabled', 'true'], ['ingress.host', 'fulmar.internal'])).to.equal('http://fulmar.internal');
    expect(await url(['ingress.enabled', 'true'], ['ingress.host', 'fulmar.internal'], ['publicUrl', 'https://pulumi.example.com'])).to.equal(
      'https://pulumi.example.com',
    );
  });

  it("maps every FULMAR_* setting of src/config/config.ts, except those that do not apply to the chart's pods", async () => {
    // Named here with the reason, so a new setting fails this test until the chart decides about it.
    const leftOut: Record<string, string> = {
      FULMAR_HOST: 'the image binds 0.0.0.0',
      FULMAR_DATA_DIR: 'the filesystem store, which the chart does not run',
      FULMAR_S3_URL: 'would carry the S3 keys in a plain value; the separate variables come from Secrets',
    };
    const rendered = new Set(container(await renderChart(['-f', FULL_VALUES])).env.map((e) => e.name));
    const unmapped = Object.keys(settings).filter((name) => name.startsWith('FULMAR_') && !rendered.has(name) && !(name in leftOut));
    expect(unmapped, 'settings neither set by the chart nor listed as left out').to.deep.equal([]);
    for (const name of Object.keys(leftOut)) expect(rendered.has(name), name).to.equal(false);
  });

  it("lists every value of values.yaml in the chart README's table", () => {
    const values = parseYaml(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const missing = leafPaths(values).filter((p) => !readme.includes(`| \`${p}\` |`));
    expect(missing, 'values without a row in deploy/helm/fulmar/README.md').to.deep.equal([]);
  });

  describe('NOTES.txt', () => {
    // `helm template` does not render NOTES.txt and `helm install --dry-run` wants a cluster, so a
    // copy of the chart renders the same text into a ConfigMap.
    let chartCopy: string;
    before(() => {
      chartCopy = mkdtempSync(join(tmpdir(), 'fulmar-chart-'));
      cpSync(CHART_DIR, chartCopy, { recursive: true });
      const notes = readFileSync(join(CHART_DIR, 'templates', 'NOTES.txt'), 'utf8');
      writeFileSync(join(chartCopy, 'templates', '_notes-under-test.tpl'), `{{- define "notes-under-test" -}}\n${notes}\n{{- end -}}\n`);
      writeFileSync(
        join(chartCopy, 'templates', 'notes-under-test.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "notes-under-test" . | quote }}\n',
      );
    });
    after(() => rmSync(chartCopy, { recursive: true, force: true }));

    const notes = async (flags: string[]) => {
      const r = await helm(['template', 'fulmar', chartCopy, '--namespace', 'state', '--show-only', 'templates/notes-under-test.yaml', ...flags]);
      expect(r.code, r.stderr).to.equal(0);
      return String(dig(parseYaml(r.stdout), 'data', 'notes'));
    };

    it('tells how to make the first token in a pod when no admin token is configured, and to port-forward', async () => {
      const text = await notes(required());
      expect(text).to.contain('kubectl -n state exec deployment/fulmar -- node dist/cli.js token create --user admin');
      expect(text).to.contain('kubectl -n state port-forward service/fulmar 8080:80');
      expect(text).to.contain('pulumi login http://localhost:8080');
    });

    it('reads the admin token from its Secret, and logs in to the public URL, when both are set', async () => {
      const text = await notes(['-f', FULL_VALUES]);
      expect(text).to.contain("kubectl -n state get secret fulmar-admin -o jsonpath='{.data.token}' | base64 -d");
      expect(text).to.contain('pulumi login https://pulumi.example.com');
      expect(text).to.not.contain('token create --user admin');
    });
  });
});

/** `a.b.c` for every leaf of a values tree; an empty map or list is a leaf. */
function leafPaths(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const isBranch = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
    // Free-form maps (annotations, resources, security contexts) are documented as one value.
    return isBranch && !FREE_FORM.has(path) ? leafPaths(value as Record<string, unknown>, path) : [path];
  });
}
const FREE_FORM = new Set(['resources', 'podSecurityContext', 'securityContext', 'strategy', 'ingress.annotations']);
