// The client's hold on the operator's policy: a proxy (or anyone between) can replay any policy the operator
// ever signed, so the client refuses one older than the newest it has seen, and one past a maximum age.
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair } from '../crypto/keys';
import { createAttestationChecker, PolicyMemory } from './client-check';
import { type AttestationPolicy, PolicyRejected, signPolicy } from './policy';

const operator = newEd25519KeyPair();
const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

function policy(sequence: number | undefined, issuedAt: number, lax = false): AttestationPolicy {
  return {
    version: 1,
    issuedAt: new Date(issuedAt).toISOString(),
    ...(sequence === undefined ? {} : { sequence }),
    tcbStatuses: lax ? ['UpToDate', 'OutOfDate'] : ['UpToDate'],
    images: [{ name: 'vm', mrTd: (lax ? 'bb' : 'aa').repeat(48) }],
  };
}

/** A checker whose proxy serves whatever `served.value` holds, with a clock the test moves. */
function checker(maxPolicyAgeMs?: number, policyMemory: PolicyMemory | undefined = new PolicyMemory()) {
  const clock = { now: T0 };
  const served: { value: unknown } = { value: null };
  const c = createAttestationChecker(
    { operatorKey: operator.publicKey, now: () => clock.now, maxPolicyAgeMs, policyMemory },
    async () => served.value,
    async () => {
      throw new Error('no evidence in this test');
    },
  );
  return { check: () => c.check([]), clock, served };
}

describe("the client's check of the served attestation policy", () => {
  it('refuses a policy older than the newest one it has seen (a replayed, laxer policy)', async () => {
    const { check, clock, served } = checker();
    served.value = signPolicy(policy(5, T0 - DAY), operator.secretKey);
    await expect(check()).resolves.toEqual({ kept: [], refused: [] });

    // Past the client's cache the proxy serves an older policy the operator really signed: refused.
    clock.now += DAY;
    served.value = signPolicy(policy(4, T0 - 2 * DAY, true), operator.secretKey);
    const err = await check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyRejected);
    expect(err).toMatchObject({
      code: 'policy_rolled_back',
      message: expect.stringMatching(/sequence 4.*5/),
    });
    // One signed before sequences existed counts as sequence 0: refused too.
    served.value = signPolicy(policy(undefined, T0 - DAY / 2, true), operator.secretKey);
    await expect(check()).rejects.toMatchObject({ code: 'policy_rolled_back' });
    // Same sequence, earlier issue date: older too.
    served.value = signPolicy(policy(5, T0 - 3 * DAY, true), operator.secretKey);
    await expect(check()).rejects.toMatchObject({ code: 'policy_rolled_back' });

    // The newest one, or a newer one, is fine.
    served.value = signPolicy(policy(5, T0 - DAY), operator.secretKey);
    await expect(check()).resolves.toEqual({ kept: [], refused: [] });
    clock.now += DAY;
    served.value = signPolicy(policy(6, T0), operator.secretKey);
    await expect(check()).resolves.toEqual({ kept: [], refused: [] });
  });

  it('refuses a policy issued longer ago than the maximum age, even to a client that saw nothing newer', async () => {
    const { check, served } = checker();
    // The attack as reported: a 2020 policy allowing OutOfDate.
    served.value = signPolicy(
      policy(undefined, Date.parse('2020-06-01T00:00:00Z'), true),
      operator.secretKey,
    );
    await expect(check()).rejects.toMatchObject({
      code: 'policy_expired',
      message: expect.stringMatching(/issued 2020-06-01/),
    });

    const strict = checker(7 * DAY);
    strict.served.value = signPolicy(policy(1, T0 - 8 * DAY), operator.secretKey);
    await expect(strict.check()).rejects.toMatchObject({ code: 'policy_expired' });
    strict.served.value = signPolicy(policy(1, T0 - 6 * DAY), operator.secretKey);
    await expect(strict.check()).resolves.toEqual({ kept: [], refused: [] });
  });

  it('a forged policy raises nothing the client remembers, and is refused as before', async () => {
    const { check, clock, served } = checker();
    served.value = signPolicy(policy(3, T0), operator.secretKey);
    await check();
    clock.now += DAY;
    const other = newEd25519KeyPair();
    served.value = signPolicy(policy(9, T0 + DAY), other.secretKey);
    await expect(check()).rejects.toMatchObject({ code: 'policy_rejected' });
    // The forged sequence 9 raised nothing: 4 is newer than the 3 the operator signed.
    served.value = signPolicy(policy(2, T0), operator.secretKey);
    await expect(check()).rejects.toMatchObject({ code: 'policy_rolled_back' });
    served.value = signPolicy(policy(4, T0), operator.secretKey);
    await expect(check()).resolves.toEqual({ kept: [], refused: [] });
  });

  it("remembers across clients: the bot's client for one user refuses what another user's client saw superseded", async () => {
    // Without a memory of their own, clients share this process's, per operator key.
    const key = newEd25519KeyPair();
    const client = (signer: typeof key, served: AttestationPolicy) =>
      createAttestationChecker(
        { operatorKey: signer.publicKey, now: () => T0 },
        async () => signPolicy(served, signer.secretKey),
        async () => {
          throw new Error('no evidence in this test');
        },
      );
    const ok = { kept: [], refused: [] };
    await expect(client(key, policy(8, T0)).check([])).resolves.toEqual(ok);
    await expect(client(key, policy(7, T0, true)).check([])).rejects.toMatchObject({
      code: 'policy_rolled_back',
    });
    // Another operator key has a memory of its own.
    await expect(client(newEd25519KeyPair(), policy(1, T0)).check([])).resolves.toEqual(ok);
  });
});
