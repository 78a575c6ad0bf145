// The demo world `npm start` and `npm run emulator` open with: Alice, Bob and Carol, their private chats with
// each bot, and a group where Alice (the owner) added the bots.
import type { World } from './world';

export function createDemo(world: World): void {
  const alice = world.createUser({ first_name: 'Alice', username: 'alice', language_code: 'en' });
  const bob = world.createUser({ first_name: 'Bob', username: 'bob', language_code: 'en' });
  const carol = world.createUser({ first_name: 'Carol', username: 'carol', language_code: 'en' });
  for (const bot of world.bots.values()) {
    for (const user of [alice, bob, carol]) world.privateConversation(bot, user.id);
  }
  const group = world.createGroup({
    title: 'Cocoon demo group',
    admins: [alice.id],
    members: [bob.id, carol.id],
  });
  for (const bot of world.bots.values())
    world.setBotStatus(group.id, 'member', { bot: bot.user.id, by: alice.id });
}
