/** A token bucket per key: `capacity` at once, refilled at `perSecond`; idle keys are forgotten. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes `cost` tokens of `key`'s bucket; false (and nothing taken) when it has fewer. */
  take(key: string, cost = 1): boolean {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < cost) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= cost;
    // A full bucket is the default: no need to keep it.
    if (b.tokens >= this.capacity) this.buckets.delete(key);
    else this.buckets.set(key, b);
    if (this.buckets.size > 4096) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(key);
    }
  }
}
