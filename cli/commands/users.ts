import type { Command } from 'commander';
import {
  addUser,
  describeUsers,
  linkUserIdentity,
  listUsers,
  PERMISSION_MEANING,
  permissionsOf,
  ROLES,
  Role,
  unlinkUserIdentity,
  updateUser,
  userView,
} from '../../access/index.ts';
import { ValidationError } from '../../lib/index.ts';
import { asLocalOwner, table } from './access-cli.ts';

function parseRole(value: string): Role {
  const role = Role.safeParse(value);
  if (role.success) return role.data;
  throw new ValidationError({
    code: 'E_USER',
    message: `"${value}" is not a role.`,
    hint: `Use one of: ${ROLES.join(', ')} (see \`vmesh users roles\`).`,
  });
}

/** `vmesh users roles`: every role with the permissions it holds (its own first), and what each one means. */
export function rolesText(): string {
  const lines: string[] = [];
  for (const role of ROLES) {
    lines.push(`${role}:`);
    for (const permission of permissionsOf(role))
      lines.push(`  ${permission.padEnd(22)} ${PERMISSION_MEANING[permission]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `vmesh users add|list|role|link|unlink|disable|enable|roles`: people and their chat accounts. */
export function registerUsersCommand(program: Command): void {
  const users = program
    .command('users')
    .description('Add people, give them roles, link their Slack/Discord accounts (acts as the local owner).');

  users
    .command('add')
    .description('Add user NAME with a role.')
    .argument('<name>', 'user name (letters, digits, _ . @ -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--email <email>', 'their email address')
    .option('--slack <team:user>', 'link their Slack account (team id and user id, e.g. T0123:U0456)')
    .option('--discord <guild:user>', 'link their Discord account (guild id and user id)')
    .action(
      async (name: string, options: { role: string; email?: string; slack?: string; discord?: string }) => {
        await asLocalOwner(async (sql, owner) => {
          const identities = [
            ...(options.slack ? [{ provider: 'slack', subject: options.slack }] : []),
            ...(options.discord ? [{ provider: 'discord', subject: options.discord }] : []),
          ];
          const user = await addUser(sql, owner, {
            name,
            role: parseRole(options.role),
            email: options.email,
            identities,
          });
          process.stdout.write(`Added ${user.name} (${user.role}), id ${user.id}.\n`);
        });
      },
    );

  users
    .command('list')
    .description('List users with their roles and linked accounts.')
    .option(
      '--json',
      'print JSON: [{ id, name, role, email, disabled, identities: [{ provider, subject }] }]',
    )
    .action(async (options: { json?: boolean }) => {
      await asLocalOwner(async (sql) => {
        const rows = await describeUsers(sql, await listUsers(sql));
        if (options.json) {
          const shown = rows.map(userView);
          process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          table(
            ['NAME', 'ROLE', 'STATUS', 'ID', 'IDENTITIES'],
            rows.map((user) => [
              user.name,
              user.role,
              user.disabledAt ? 'disabled' : 'active',
              user.id,
              user.identities.map((identity) => `${identity.provider}:${identity.subject}`).join(', '),
            ]),
          ),
        );
      });
    });

  users
    .command('role')
    .description('Change the role of user NAME (only owners make or unmake owners; the last owner stays).')
    .argument('<name>', 'user name or id')
    .argument('<role>', `one of ${ROLES.join(', ')}`)
    .action(async (name: string, role: string) => {
      await asLocalOwner(async (sql, owner) => {
        const user = await updateUser(sql, owner, name, { role: parseRole(role) });
        process.stdout.write(`${user.name} is now ${user.role}.\n`);
      });
    });

  users
    .command('link')
    .description(
      'Link a front-end identity to user NAME (slack TEAM:USER, discord GUILD:USER, oidc ISSUER|SUB).',
    )
    .argument('<name>', 'user name or id')
    .argument('<provider>', 'slack, discord or oidc')
    .argument('<subject>', 'the identity at that provider')
    .action(async (name: string, provider: string, subject: string) => {
      await asLocalOwner(async (sql, owner) => {
        const user = await linkUserIdentity(sql, owner, name, provider, subject);
        process.stdout.write(`Linked ${provider}:${subject} to ${user.name}.\n`);
      });
    });

  users
    .command('unlink')
    .description('Unlink a front-end identity from whoever has it.')
    .argument('<provider>', 'slack, discord or oidc')
    .argument('<subject>', 'the identity at that provider')
    .action(async (provider: string, subject: string) => {
      await asLocalOwner(async (sql, owner) => {
        await unlinkUserIdentity(sql, owner, provider, subject);
        process.stdout.write(`Unlinked ${provider}:${subject}.\n`);
      });
    });

  for (const [command, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(command)
      .description(
        disabled
          ? 'Disable user NAME: their accounts and tokens stop working; their workflows and records stay.'
          : 'Enable user NAME again.',
      )
      .argument('<name>', 'user name or id')
      .action(async (name: string) => {
        await asLocalOwner(async (sql, owner) => {
          const user = await updateUser(sql, owner, name, { disabled });
          process.stdout.write(`${user.name} is ${disabled ? 'disabled' : 'enabled'}.\n`);
        });
      });
  }

  users
    .command('roles')
    .description('Print the roles and the permissions each one holds.')
    .action(() => {
      process.stdout.write(rolesText());
    });
}
