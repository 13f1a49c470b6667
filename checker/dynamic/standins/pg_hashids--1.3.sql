-- Stand-in for pg_hashids 1.3: the hashids algorithm (hashids.org, version 1) in PL/pgSQL, giving the
-- same ids as the real extension for the same salt, minimum length and alphabet. Internal functions
-- start with an underscore and are called through @extschema@, fixed at creation.
\echo Use "CREATE EXTENSION pg_hashids" to load this file. \quit

-- hashids' "consistent shuffle": reorders `chars` by `salt`, the same way every time.
create function _hashids_shuffle(chars text, salt text) returns text
language plpgsql immutable strict parallel safe as $$
declare
  letters text[] := regexp_split_to_array(chars, '');
  i int;
  j int;
  v int := 0;
  total int := 0;
  code int;
  swap text;
begin
  if salt = '' then
    return chars;
  end if;
  for i in reverse array_length(letters, 1) - 1 .. 1 loop
    code := ascii(substr(salt, v + 1, 1));
    total := total + code;
    j := (code + v + total) % i;
    swap := letters[i + 1];
    letters[i + 1] := letters[j + 1];
    letters[j + 1] := swap;
    v := (v + 1) % length(salt);
  end loop;
  return array_to_string(letters, '');
end
$$;

-- The three character sets an id is built from: (alphabet, separators, guards).
create function _hashids_setup(salt text, alphabet text, out letters text, out seps text, out guards text)
language plpgsql immutable strict parallel safe as $$
declare
  unique_letters text := '';
  letter text;
  missing int;
  guard_count int;
begin
  foreach letter in array regexp_split_to_array(alphabet, '') loop
    if strpos(unique_letters, letter) = 0 then
      unique_letters := unique_letters || letter;
    end if;
  end loop;
  if length(unique_letters) < 16 then
    raise exception 'alphabet must contain at least 16 unique characters';
  end if;
  seps := array_to_string(array(
    select c from unnest(regexp_split_to_array('cfhistuCFHISTU', '')) c where strpos(unique_letters, c) > 0
  ), '');
  letters := translate(unique_letters, seps, '');
  seps := @extschema@._hashids_shuffle(seps, salt);
  missing := ceil(length(letters) / 3.5) - length(seps);
  if missing > 0 then
    seps := seps || left(letters, missing);
    letters := substr(letters, missing + 1);
  end if;
  letters := @extschema@._hashids_shuffle(letters, salt);
  guard_count := ceil(length(letters) / 12.0);
  if length(letters) < 3 then
    guards := left(seps, guard_count);
    seps := substr(seps, guard_count + 1);
  else
    guards := left(letters, guard_count);
    letters := substr(letters, guard_count + 1);
  end if;
end
$$;

create function _hashids_number(value bigint, letters text) returns text
language plpgsql immutable strict parallel safe as $$
declare
  encoded text := '';
begin
  loop
    encoded := substr(letters, (value % length(letters))::int + 1, 1) || encoded;
    value := value / length(letters);
    exit when value = 0;
  end loop;
  return encoded;
end
$$;

create function _hashids_encode(numbers bigint[], salt text, min_length integer, alphabet text) returns text
language plpgsql immutable strict parallel safe as $$
declare
  sets record := @extschema@._hashids_setup(salt, alphabet);
  letters text := sets.letters;
  values_hash bigint := 0;
  lottery text;
  encoded text;
  last text;
  i int;
  half int;
  excess int;
begin
  if cardinality(numbers) = 0 or exists (select from unnest(numbers) n where n < 0) then
    return '';
  end if;
  for i in 1 .. cardinality(numbers) loop
    values_hash := values_hash + numbers[i] % (i - 1 + 100);
  end loop;
  lottery := substr(letters, (values_hash % length(letters))::int + 1, 1);
  encoded := lottery;
  for i in 1 .. cardinality(numbers) loop
    letters := @extschema@._hashids_shuffle(letters, left(lottery || salt || letters, length(letters)));
    last := @extschema@._hashids_number(numbers[i], letters);
    encoded := encoded || last;
    if i < cardinality(numbers) then
      encoded := encoded || substr(sets.seps,
        ((numbers[i] % (ascii(last) + i - 1)) % length(sets.seps))::int + 1, 1);
    end if;
  end loop;
  if length(encoded) < min_length then
    encoded := substr(sets.guards, ((values_hash + ascii(encoded)) % length(sets.guards))::int + 1, 1) || encoded;
    if length(encoded) < min_length then
      encoded := encoded || substr(sets.guards,
        ((values_hash + ascii(substr(encoded, 3, 1))) % length(sets.guards))::int + 1, 1);
    end if;
  end if;
  half := length(letters) / 2;
  while length(encoded) < min_length loop
    letters := @extschema@._hashids_shuffle(letters, letters);
    encoded := substr(letters, half + 1) || encoded || left(letters, half);
    excess := length(encoded) - min_length;
    if excess > 0 then
      encoded := substr(encoded, excess / 2 + 1, min_length);
    end if;
  end loop;
  return encoded;
end
$$;

-- An id that does not encode back to itself decodes to nothing, as in hashids.
create function _hashids_decode(hashid text, salt text, min_length integer, alphabet text) returns bigint[]
language plpgsql immutable strict parallel safe as $$
declare
  sets record := @extschema@._hashids_setup(salt, alphabet);
  letters text := sets.letters;
  parts text[] := string_to_array(translate(hashid, sets.guards, repeat(' ', length(sets.guards))), ' ');
  body text;
  lottery text;
  part text;
  number bigint;
  letter text;
  numbers bigint[] := '{}';
begin
  body := case when cardinality(parts) in (2, 3) then parts[2] else parts[1] end;
  if body is null or body = '' then
    return numbers;
  end if;
  lottery := left(body, 1);
  foreach part in array string_to_array(translate(substr(body, 2), sets.seps, repeat(' ', length(sets.seps))), ' ')
  loop
    letters := @extschema@._hashids_shuffle(letters, left(lottery || salt || letters, length(letters)));
    number := 0;
    foreach letter in array regexp_split_to_array(part, '') loop
      if strpos(letters, letter) = 0 then
        return '{}';
      end if;
      number := number * length(letters) + strpos(letters, letter) - 1;
    end loop;
    numbers := numbers || number;
  end loop;
  if @extschema@._hashids_encode(numbers, salt, min_length, alphabet) <> hashid then
    return '{}';
  end if;
  return numbers;
end
$$;

-- The public functions, with pg_hashids' signatures and defaults (empty salt, no minimum length).
create function _hashids_alphabet() returns text
language sql immutable parallel safe
return 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890';

create function id_encode(bigint) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode(array[$1], '', 0, @extschema@._hashids_alphabet());
create function id_encode(bigint, text) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode(array[$1], $2, 0, @extschema@._hashids_alphabet());
create function id_encode(bigint, text, integer) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode(array[$1], $2, $3, @extschema@._hashids_alphabet());
create function id_encode(bigint, text, integer, text) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode(array[$1], $2, $3, $4);
create function id_encode(bigint[]) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode($1, '', 0, @extschema@._hashids_alphabet());
create function id_encode(bigint[], text) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode($1, $2, 0, @extschema@._hashids_alphabet());
create function id_encode(bigint[], text, integer) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode($1, $2, $3, @extschema@._hashids_alphabet());
create function id_encode(bigint[], text, integer, text) returns text
language sql immutable strict parallel safe
return @extschema@._hashids_encode($1, $2, $3, $4);

create function id_decode(text) returns bigint[]
language sql immutable strict parallel safe
return @extschema@._hashids_decode($1, '', 0, @extschema@._hashids_alphabet());
create function id_decode(text, text) returns bigint[]
language sql immutable strict parallel safe
return @extschema@._hashids_decode($1, $2, 0, @extschema@._hashids_alphabet());
create function id_decode(text, text, integer) returns bigint[]
language sql immutable strict parallel safe
return @extschema@._hashids_decode($1, $2, $3, @extschema@._hashids_alphabet());
create function id_decode(text, text, integer, text) returns bigint[]
language sql immutable strict parallel safe
return @extschema@._hashids_decode($1, $2, $3, $4);

create function id_decode_once(text) returns bigint
language sql immutable strict parallel safe
return (@extschema@.id_decode($1))[1];
create function id_decode_once(text, text) returns bigint
language sql immutable strict parallel safe
return (@extschema@.id_decode($1, $2))[1];
create function id_decode_once(text, text, integer) returns bigint
language sql immutable strict parallel safe
return (@extschema@.id_decode($1, $2, $3))[1];
create function id_decode_once(text, text, integer, text) returns bigint
language sql immutable strict parallel safe
return (@extschema@.id_decode($1, $2, $3, $4))[1];
