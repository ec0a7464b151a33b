// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/migration_id.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>

using strata::Error;
using strata::ErrorKind;
using strata::MigrationId;
using strata::MigrationRef;
using strata::parse_migration_ref;

namespace {

MigrationId id(const char* text) {
    return MigrationId(text);
}

std::size_t hash_of(const MigrationId& migration_id) {
    return std::hash<MigrationId>{}(migration_id);
}

} // namespace

TEST_SUITE("migration_id") {
    TEST_CASE("ids are equal when their numeric values are") {
        CHECK(id("0001") == id("1"));
        CHECK(id("1") == id("0001"));
        CHECK(id("0") == id("000"));
        CHECK(id("000123456789012345678901234567890") == id("123456789012345678901234567890"));
        CHECK(id("10") != id("1"));
        CHECK(id("100") != id("0010"));
        CHECK(id("1") != id("0"));
    }

    TEST_CASE("ids order by numeric value, not as text") {
        CHECK(id("2") < id("10"));
        CHECK(id("0009") < id("10"));
        CHECK(id("10") > id("0009"));
        CHECK(id("0002") < id("10"));
        CHECK(id("19") < id("2000"));
        CHECK(id("20261121093000") < id("20261121093001"));
        CHECK((id("0001") <=> id("1")) == 0);
        CHECK(id("0001") <= id("1"));
        CHECK(id("0001") >= id("1"));
        CHECK_FALSE(id("0001") < id("1"));

        // A set keeps one of two equal ids and sorts numerically.
        std::set<MigrationId> ids{id("10"), id("9"), id("0010"), id("0"), id("011")};
        std::string order;
        for (const MigrationId& each : ids)
            order += (order.empty() ? "" : " ") + each.text();
        CHECK(order == "0 9 10 011");
    }

    TEST_CASE("ids longer than 64-bit integers compare as digit strings") {
        const MigrationId twenty = id("12345678901234567890");                    // 20 digits
        const MigrationId thirty = id("123456789012345678901234567890");          // 30 digits
        const MigrationId forty = id("1234567890123456789012345678901234567890"); // 40 digits
        CHECK(twenty.text().size() == 20);
        CHECK(thirty.text().size() == 30);
        CHECK(forty.text().size() == 40);
        CHECK(twenty < thirty);
        CHECK(thirty < forty);
        CHECK(id("18446744073709551615") < id("18446744073709551616")); // 2^64 - 1 < 2^64
        CHECK(id("99999999999999999999") < id("100000000000000000000"));
        CHECK(id("99999999999999999999999") < id("100000000000000000000000"));
        CHECK(id("1234567890123456789012345678901234567891") > forty);
        CHECK(id("0000000000000000000012345678901234567890") == twenty);
        CHECK(id("00000000001234567890123456789012345678901234567890") == forty);
        CHECK(id("0000000000123456789012345678901234567890") == thirty);
        CHECK(id("0000000000123456789012345678901234567890") < forty);
    }

    TEST_CASE("text keeps the id as written; key drops leading zeros") {
        CHECK(id("0001").text() == "0001");
        CHECK(id("0001").key() == "1");
        CHECK(id("20261121093000").text() == "20261121093000");
        CHECK(id("20261121093000").key() == "20261121093000");
        CHECK(id("0100").key() == "100");
        CHECK(MigrationId().text() == "0");
        CHECK(MigrationId() == id("0"));
    }

    TEST_CASE("all-zero ids are the value zero") {
        CHECK(id("0").key() == "0");
        CHECK(id("0000").key() == "0");
        CHECK(id("0000").text() == "0000");
        CHECK(id("0000") == id("0"));
        CHECK(id("0000") < id("1"));
        CHECK(hash_of(id("0000")) == hash_of(id("0")));
    }

    TEST_CASE("an id prints as written") {
        std::ostringstream out;
        out << id("0007") << ' ' << id("20261121093000") << ' ' << id("000");
        CHECK(out.str() == "0007 20261121093000 000");
    }

    TEST_CASE("equal ids hash alike, so hash containers meet them") {
        CHECK(hash_of(id("0001")) == hash_of(id("1")));
        CHECK(hash_of(id("000123456789012345678901234567890")) ==
              hash_of(id("123456789012345678901234567890")));
        std::unordered_set<MigrationId> ids{id("0002"), id("10")};
        CHECK(ids.count(id("2")) == 1);
        CHECK(ids.count(id("000010")) == 1);
        CHECK(ids.count(id("1")) == 0);
        CHECK_FALSE(ids.insert(id("02")).second);
    }

    TEST_CASE("only non-empty ASCII digits are ids") {
        for (const char* bad : {"", "a", "12a", "abc", "-1", "+1", " 1", "1 ", "1 2", "1.0", "0x10",
                                "١٢", "1_add", "_1"}) {
            CAPTURE(bad);
            CHECK_FALSE(MigrationId::parse(bad).has_value());
            CHECK_THROWS_AS(static_cast<void>(MigrationId(bad)), Error);
        }
        REQUIRE(MigrationId::parse("0042").has_value());
        CHECK(MigrationId::parse("0042")->text() == "0042");

        try {
            const MigrationId made("12a");
            FAIL("no error for " << made.text());
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Usage);
            CHECK(std::string(e.what()) ==
                  "\"12a\" is not a migration id\n"
                  "  hint: a migration id is ASCII digits, such as 0001 or 20261121093000");
        }
    }

    TEST_CASE("a reference is an id or a full name <id>_<slug>") {
        std::optional<MigrationRef> plain = parse_migration_ref("0003");
        REQUIRE(plain.has_value());
        CHECK(plain->id.text() == "0003");
        CHECK_FALSE(plain->name.has_value());

        std::optional<MigrationRef> named = parse_migration_ref("0003_add_tags");
        REQUIRE(named.has_value());
        CHECK(named->id.text() == "0003");
        CHECK(named->id == MigrationId("3"));
        REQUIRE(named->name.has_value());
        CHECK(*named->name == "0003_add_tags");

        // The id ends at the first '_'; what follows is kept whole as the name.
        std::optional<MigrationRef> long_id = parse_migration_ref("20261121093000_a_b-c");
        REQUIRE(long_id.has_value());
        CHECK(long_id->id.text() == "20261121093000");
        CHECK(*long_id->name == "20261121093000_a_b-c");

        for (const char* bad :
             {"", "_", "_0003", "add_tags", "all", "x1_a", "1x_a", " 1", "-1_a"}) {
            CAPTURE(bad);
            CHECK_FALSE(parse_migration_ref(bad).has_value());
        }
    }
}
