-- Starting data; rows already there are kept as they are.
INSERT INTO products (name, description) VALUES
    ('Trail 2', 'A two-person backpacking tent, 1.6 kg'),
    ('Summit', 'A four-season tent for snow and wind'),
    ('Basecamp 6', 'A six-person family tent with two rooms')
ON CONFLICT (name) DO NOTHING;
