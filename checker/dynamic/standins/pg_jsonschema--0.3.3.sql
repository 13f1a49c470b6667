-- Stand-in for pg_jsonschema 0.3: JSON Schema validation in PL/pgSQL. Checked keywords: type, enum,
-- const, properties, required, additionalProperties, patternProperties, items (one schema or a tuple),
-- minItems, maxItems, uniqueItems, minLength, maxLength, pattern (as a PostgreSQL regular expression),
-- minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minProperties, maxProperties, allOf,
-- anyOf, oneOf, not, and local $ref (#/definitions/..., #/$defs/...). Other keywords (format, if/then/else,
-- dependencies, remote $ref ...) are not checked: an instance passes them.
\echo Use "CREATE EXTENSION pg_jsonschema" to load this file. \quit

create function _json_type_matches(instance jsonb, wanted text) returns boolean
language sql immutable strict parallel safe
return case wanted
  when 'integer' then jsonb_typeof(instance) = 'number' and instance::text::numeric = trunc(instance::text::numeric)
  when 'number' then jsonb_typeof(instance) = 'number'
  else jsonb_typeof(instance) = wanted
end;

create function _jsonschema_check(root jsonb, rule jsonb, instance jsonb) returns boolean
language plpgsql immutable strict parallel safe as $$
declare
  kind text := jsonb_typeof(instance);
  sub jsonb;
  field text;
  value jsonb;
  matched int;
  number numeric;
begin
  if jsonb_typeof(rule) = 'boolean' then
    return rule::text::boolean;
  end if;
  if rule ? '$ref' then
    if rule->>'$ref' = '#' then
      sub := root;
    elsif rule->>'$ref' ~ '^#/' then
      sub := root #> string_to_array(substr(rule->>'$ref', 3), '/');
    end if;
    if sub is not null and not @extschema@._jsonschema_check(root, sub, instance) then
      return false;
    end if;
  end if;
  if rule ? 'type' and not (
    case jsonb_typeof(rule->'type')
      when 'array' then exists (
        select from jsonb_array_elements_text(rule->'type') t where @extschema@._json_type_matches(instance, t))
      else @extschema@._json_type_matches(instance, rule->>'type')
    end) then
    return false;
  end if;
  if rule ? 'enum' and not exists (select from jsonb_array_elements(rule->'enum') e where e = instance) then
    return false;
  end if;
  if rule ? 'const' and rule->'const' <> instance then
    return false;
  end if;
  for sub in select jsonb_array_elements(coalesce(rule->'allOf', '[]')) loop
    if not @extschema@._jsonschema_check(root, sub, instance) then
      return false;
    end if;
  end loop;
  if rule ? 'anyOf' and not exists (
    select from jsonb_array_elements(rule->'anyOf') s where @extschema@._jsonschema_check(root, s, instance)) then
    return false;
  end if;
  if rule ? 'oneOf' then
    select count(*) into matched
    from jsonb_array_elements(rule->'oneOf') s where @extschema@._jsonschema_check(root, s, instance);
    if matched <> 1 then
      return false;
    end if;
  end if;
  if rule ? 'not' and @extschema@._jsonschema_check(root, rule->'not', instance) then
    return false;
  end if;
  if kind = 'object' then
    if exists (select from jsonb_array_elements_text(coalesce(rule->'required', '[]')) r where not instance ? r)
       or (rule ? 'minProperties' and (select count(*) from jsonb_object_keys(instance)) < (rule->>'minProperties')::int)
       or (rule ? 'maxProperties' and (select count(*) from jsonb_object_keys(instance)) > (rule->>'maxProperties')::int)
    then
      return false;
    end if;
    for field, value in select * from jsonb_each(instance) loop
      matched := 0;
      if rule->'properties' ? field then
        matched := 1;
        if not @extschema@._jsonschema_check(root, rule->'properties'->field, value) then
          return false;
        end if;
      end if;
      for sub in select p.value from jsonb_each(coalesce(rule->'patternProperties', '{}')) p where field ~ p.key loop
        matched := 1;
        if not @extschema@._jsonschema_check(root, sub, value) then
          return false;
        end if;
      end loop;
      if matched = 0 and rule ? 'additionalProperties'
         and not @extschema@._jsonschema_check(root, rule->'additionalProperties', value) then
        return false;
      end if;
    end loop;
  elsif kind = 'array' then
    if (rule ? 'minItems' and jsonb_array_length(instance) < (rule->>'minItems')::int)
       or (rule ? 'maxItems' and jsonb_array_length(instance) > (rule->>'maxItems')::int)
       or (coalesce((rule->>'uniqueItems')::boolean, false)
           and (select count(distinct e) from jsonb_array_elements(instance) e) < jsonb_array_length(instance))
    then
      return false;
    end if;
    if jsonb_typeof(rule->'items') = 'array' then
      if exists (
        select from jsonb_array_elements(rule->'items') with ordinality s(rule, n)
        where n <= jsonb_array_length(instance) and not @extschema@._jsonschema_check(root, s.rule, instance->(n::int - 1))
      ) then
        return false;
      end if;
    elsif rule ? 'items' and exists (
      select from jsonb_array_elements(instance) e where not @extschema@._jsonschema_check(root, rule->'items', e)
    ) then
      return false;
    end if;
  elsif kind = 'string' then
    if (rule ? 'minLength' and char_length(instance #>> '{}') < (rule->>'minLength')::int)
       or (rule ? 'maxLength' and char_length(instance #>> '{}') > (rule->>'maxLength')::int)
       or (rule ? 'pattern' and not (instance #>> '{}') ~ (rule->>'pattern'))
    then
      return false;
    end if;
  elsif kind = 'number' then
    number := instance::text::numeric;
    if (rule ? 'minimum' and number < (rule->>'minimum')::numeric)
       or (rule ? 'maximum' and number > (rule->>'maximum')::numeric)
       or (jsonb_typeof(rule->'exclusiveMinimum') = 'number' and number <= (rule->>'exclusiveMinimum')::numeric)
       or (jsonb_typeof(rule->'exclusiveMaximum') = 'number' and number >= (rule->>'exclusiveMaximum')::numeric)
       or (rule ? 'multipleOf' and number % (rule->>'multipleOf')::numeric <> 0)
    then
      return false;
    end if;
  end if;
  return true;
end
$$;

-- A schema is usable when it is an object or a boolean whose keywords have the right JSON types.
create function jsonschema_is_valid(schema json) returns boolean
language sql immutable strict parallel safe
return jsonb_typeof(schema::jsonb) in ('object', 'boolean')
  and coalesce(jsonb_typeof(schema::jsonb->'type') in ('string', 'array'), true)
  and coalesce(jsonb_typeof(schema::jsonb->'properties') = 'object', true)
  and coalesce(jsonb_typeof(schema::jsonb->'required') = 'array', true);

create function jsonb_matches_schema(schema json, instance jsonb) returns boolean
language sql immutable strict parallel safe
return @extschema@._jsonschema_check(schema::jsonb, schema::jsonb, instance);

create function json_matches_schema(schema json, instance json) returns boolean
language sql immutable strict parallel safe
return @extschema@._jsonschema_check(schema::jsonb, schema::jsonb, instance::jsonb);
