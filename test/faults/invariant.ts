import { type SandboxWorld } from '../../sandbox/world';

/**
 * Lists violations of the safety invariant of every fault run, read from the fakes' stored state:
 * an EspoCRM that uses OIDC (authenticationMethod 'Oidc') sends the client id and secret of the
 * provider of that instance's application in authentik. A CRM that breaks it either lets no user
 * in through single sign-on or trusts a client that authentik does not know.
 *
 * Messages name ids and pks but never a secret, because test output ends up in CI logs.
 */
export function ssoInvariantViolations(world: SandboxWorld): string[] {
  const violations: string[] = [];
  const providers = world.authentik.providers();
  const applications = world.authentik.applications();
  for (const { name, espocrm } of world.instances) {
    const settings = espocrm.settings;
    if (settings.authenticationMethod !== 'Oidc') continue;
    const slug = applicationSlug(name);
    const application = applications.find((candidate) => candidate.slug === slug);
    if (!application) {
      violations.push(`${name}: EspoCRM uses OIDC but authentik has no application ${slug}`);
      continue;
    }
    const provider = providers.find((candidate) => candidate.pk === application.provider);
    if (!provider) {
      violations.push(`${name}: EspoCRM uses OIDC but application ${slug} has no provider (provider pk ${String(application.provider)})`);
      continue;
    }
    if (settings.oidcClientId !== provider.client_id) {
      violations.push(`${name}: EspoCRM's oidcClientId ${String(settings.oidcClientId)} is not the client id ${provider.client_id} of provider ${provider.pk}`);
    }
    if (typeof settings.oidcClientSecret !== 'string' || settings.oidcClientSecret !== provider.client_secret) {
      violations.push(`${name}: EspoCRM's oidcClientSecret is not the client secret of provider ${provider.pk}`);
    }
  }
  return violations;
}

/** Returns the application slug a sandbox world configures for an instance. */
export function applicationSlug(instance: string): string {
  return `espocrm-${instance}`;
}

/** Counts the providers and applications authentik has for an instance (the provider is named like the application). */
export function provisionedObjects(world: SandboxWorld, instance = 'demo'): { providers: number; applications: number } {
  const name = `EspoCRM (${instance})`;
  return {
    providers: world.authentik.providers().filter((provider) => provider.name === name).length,
    applications: world.authentik.applications().filter((application) => application.slug === applicationSlug(instance)).length,
  };
}

/** Returns whether EspoCRM uses OIDC and authentik's provider has the same client id and secret. */
export function ssoWorks(world: SandboxWorld, instance = 'demo'): boolean {
  const found = world.instances.find((candidate) => candidate.name === instance);
  return found?.espocrm.settings.authenticationMethod === 'Oidc' && ssoInvariantViolations(world).length === 0;
}

/**
 * Samples the invariant every few milliseconds while a run goes on, to catch a window in which
 * EspoCRM pointed at a client that authentik did not hold, even if a later step repaired it.
 */
export class InvariantMonitor {
  private readonly seen = new Map<string, { first: number; last: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly world: SandboxWorld,
    intervalMs = 5,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const now = Date.now();
    for (const violation of ssoInvariantViolations(this.world)) {
      const entry = this.seen.get(violation);
      if (entry) entry.last = now;
      else this.seen.set(violation, { first: now, last: now });
    }
  }

  /** Stops sampling and returns each violation seen, with how long it was seen for. */
  stop(): string[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.seen].map(([violation, { first, last }]) => `${violation} (seen for ${last - first} ms)`);
  }
}
