-- The product catalogue the assistant answers from. Applied by the function when
-- CloudFormation creates or updates the stack, in one transaction, once per content;
-- written so that applying it to a database that has it already changes nothing.
CREATE TABLE IF NOT EXISTS products (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
