import { Balancer, type BalancerOptions, type ReplicaHealth } from './domain/balancer';
import type { ServiceName } from './domain/route-table';

/**
 * The replicas of every service behind the gateway, one balancer each: the proxy picks from it and reports
 * connection failures to it (passive check), the readiness watcher reports each replica's `/health/ready` to it
 * (active check). Shared by both, so either kind of evidence steers the next request.
 */
export class UpstreamPool {
  private readonly balancers = new Map<ServiceName, Balancer>();

  constructor(urls: Readonly<Record<ServiceName, readonly string[]>>, opts: BalancerOptions = {}) {
    for (const [service, list] of Object.entries(urls) as [ServiceName, readonly string[]][]) {
      this.balancers.set(service, new Balancer(list, opts));
    }
  }

  services(): ServiceName[] {
    return [...this.balancers.keys()];
  }

  of(service: ServiceName): Balancer {
    const b = this.balancers.get(service);
    if (!b) throw new Error(`no upstream for ${service}`);
    return b;
  }

  /** A replica to send a request of `service` to that is not a request at all (documents): a healthy one if any. */
  pickFor(service: ServiceName): string {
    return this.of(service).pick() ?? (this.of(service).urls[0] as string);
  }

  status(): Record<string, ReplicaHealth[]> {
    return Object.fromEntries([...this.balancers].map(([s, b]) => [s, b.status()]));
  }
}
