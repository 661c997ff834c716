import { PERMISSION_MEANING, PERMISSIONS, ROLES, roleAllows } from './roles.ts';

/** The README's role/permission table (access/permission-table.test.ts keeps the README in step with it). */
export function permissionTableMarkdown(): string {
  const roles = [...ROLES].reverse();
  const lines = [
    `| permission | lets a person | ${roles.join(' | ')} |`,
    `| --- | --- | ${roles.map(() => ':---:').join(' | ')} |`,
    ...PERMISSIONS.map(
      (permission) =>
        `| \`${permission}\` | ${PERMISSION_MEANING[permission]} | ${roles
          .map((role) => (roleAllows(role, permission) ? '✓' : ''))
          .join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
