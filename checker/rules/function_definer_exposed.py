"""function-definer-exposed: the API roles cannot call SECURITY DEFINER functions of exposed schemas."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._api_access import api_roles_left, created_exposed
from checker.rules.base import Example, Issue, Rule

# Called by PostgreSQL only, never through /rest/v1/rpc (a direct call is an error).
_NOT_CALLABLE = frozenset({"trigger", "event_trigger"})


def check(ctx: RuleContext) -> Iterator[Issue]:
    for ref, statement, location in created_exposed(ctx, "function"):
        function = ctx.after.find(ref)
        details = function.details if function else {}
        if not details.get("security_definer") or details.get("returns") in _NOT_CALLABLE:
            continue
        roles = api_roles_left(ctx, ref, "execute")
        if roles:
            signature = f"{ref.qualified}({', '.join(ref.args or ())})"
            yield Issue(
                statement,
                f"security definer function {signature} runs with its owner's rights and "
                f"{' and '.join(roles)} can call it through /rest/v1/rpc/{ref.name}",
                f"revoke execute on function {signature} from public, {', '.join(roles)}; "
                "or make it security invoker, or move it to a schema the API does not expose",
                location,
                signature,
            )


RULE = Rule(
    id="function-definer-exposed",
    severity=Severity.WARNING,
    summary="SECURITY DEFINER functions in exposed schemas are not executable by anon or authenticated",
    rationale=(
        "A SECURITY DEFINER function runs with its owner's rights (on Supabase usually postgres, "
        "which bypasses row level security). In an exposed schema PostgREST publishes it as "
        "/rest/v1/rpc/<name>, and Supabase's default privileges grant EXECUTE to anon and "
        "authenticated directly, so `revoke ... from public` alone does not close it: revoke from "
        "anon and authenticated too (anon: anyone with the public key, lint 0028; authenticated: "
        "any signed-in user, lint 0029). Trigger functions cannot be called through the API and "
        "are not reported."
    ),
    bad=Example(
        "begin;\ncreate function public.purge_account(target uuid) returns void\n"
        "  language plpgsql security definer set search_path = ''\n"
        "  as $$ begin delete from public.accounts where id = target; end $$;\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate function public.purge_account(target uuid) returns void\n"
        "  language plpgsql security definer set search_path = ''\n"
        "  as $$ begin delete from public.accounts where id = target; end $$;\n"
        "revoke execute on function public.purge_account(uuid) from public, anon, authenticated;\ncommit;\n"
    ),
    check=check,
    mirrors=(
        "0028_anon_security_definer_function_executable",
        "0029_authenticated_security_definer_function_executable",
    ),
)
