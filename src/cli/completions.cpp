// SPDX-License-Identifier: MIT
#include "cli/completions.hpp"

#include <algorithm>
#include <array>

namespace strata::cli {
namespace {

// The options that choose which project and database `strata check --json` reads when a
// completion asks it for app names and migration ids.
bool is_context_option(const OptionSpec& option) {
    return option.id == OptionId::Project || option.id == OptionId::Directory ||
           option.id == OptionId::Database || option.id == OptionId::BundleFile;
}

bool takes_file(const OptionSpec& option) {
    return option.id == OptionId::Project || option.id == OptionId::Database ||
           option.id == OptionId::BundleFile || option.id == OptionId::Output;
}

bool takes_folder(const OptionSpec& option) {
    return option.id == OptionId::Directory;
}

std::string long_form(const OptionSpec& option) {
    return "--" + std::string(option.long_name);
}

// "-p --project": every spelling of the option, as a shell would see it.
std::vector<std::string> spellings(const OptionSpec& option) {
    std::vector<std::string> names;
    if (option.short_name != '\0')
        names.push_back(std::string("-") + option.short_name);
    names.push_back(long_form(option));
    return names;
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const std::string& word : words) {
        if (!out.empty())
            out += separator;
        out += word;
    }
    return out;
}

// The spellings of the options for which `wanted` holds, for a shell `case` pattern.
template <typename Predicate>
std::vector<std::string> option_words(Predicate wanted) {
    std::vector<std::string> words;
    for (const OptionSpec& option : option_specs())
        if (wanted(option))
            for (std::string& name : spellings(option))
                words.push_back(std::move(name));
    return words;
}

// The command's name and alias.
std::vector<std::string> command_names(const CommandSpec& spec) {
    std::vector<std::string> names{std::string(spec.name)};
    if (!spec.alias.empty())
        names.emplace_back(spec.alias);
    return names;
}

std::vector<std::string> all_command_names() {
    std::vector<std::string> names;
    for (const CommandSpec& spec : command_specs())
        for (std::string& name : command_names(spec))
            names.push_back(std::move(name));
    return names;
}

std::string_view kind_word(ArgumentKind kind) {
    switch (kind) {
    case ArgumentKind::App:
        return "app";
    case ArgumentKind::AppOrAll:
        return "app-or-all";
    case ArgumentKind::MigrationId:
        return "migration-id";
    case ArgumentKind::Command:
        return "command";
    case ArgumentKind::File:
        return "file";
    case ArgumentKind::Text:
        break;
    }
    return "text";
}

bool repeats_last(const CommandSpec& spec) {
    std::string_view usage = spec.usage;
    return usage.find("...") != std::string_view::npos;
}

std::vector<std::string> kind_words(const CommandSpec& spec) {
    std::vector<std::string> words;
    for (ArgumentKind kind : positional_kinds(spec))
        words.emplace_back(kind_word(kind));
    return words;
}

// Text between single quotes in a shell script (sh, bash, zsh and fish alike).
std::string single_quoted(std::string_view text, std::string_view escaped_quote) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += escaped_quote;
        else
            out += c;
    }
    return out + "'";
}

std::string sh_quoted(std::string_view text) {
    return single_quoted(text, "'\\''");
}

std::string fish_quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

constexpr std::string_view k_generated_note =
    "generated from strata's table of commands and options (the one --help uses); do not "
    "edit";

// The script of `query KEY APP CONTEXT...` shared by bash and zsh: the distinct values of KEY
// ("app_name", "migration_id") that `strata CONTEXT... check [APP] --json` prints. A project
// that cannot be read gives no words rather than an error in the middle of the command line.
constexpr std::string_view k_sh_query =
    "    local program=$1 key=$2 app=$3\n"
    "    shift 3\n"
    "    \"$program\" \"$@\" check ${app:+\"$app\"} --json 2>/dev/null </dev/null |\n"
    "        grep -o \"\\\"$key\\\": *\\\"[^\\\"]*\\\"\" | sed 's/.*: *\"//; s/\"$//' | "
    "sort -u\n";

} // namespace

std::vector<ArgumentKind> positional_kinds(const CommandSpec& spec) {
    std::vector<ArgumentKind> kinds;
    std::string_view usage = spec.usage;
    std::vector<std::string_view> tokens;
    for (std::size_t start = 0; start < usage.size();) {
        std::size_t end = std::min(usage.find(' ', start), usage.size());
        if (end > start)
            tokens.push_back(usage.substr(start, end - start));
        start = end + 1;
    }
    // "strata NAME" come first; an option token ("-o", "[--label") is followed by its value
    // unless its bracket closes on it.
    bool skip_value = false;
    for (std::size_t i = 2; i < tokens.size(); ++i) {
        std::string_view token = tokens[i];
        if (skip_value) {
            skip_value = false;
            continue;
        }
        bool closed = token.ends_with(']');
        while (!token.empty() && (token.front() == '[' || token.front() == ']'))
            token.remove_prefix(1);
        while (!token.empty() && (token.back() == ']' || token.back() == '.'))
            token.remove_suffix(1);
        if (token.starts_with('-')) {
            skip_value = !closed && tokens[i].find(' ') == std::string_view::npos &&
                         i + 1 < tokens.size() && !tokens[i + 1].starts_with('[') &&
                         !tokens[i + 1].starts_with('-');
            continue;
        }
        if (token == "options")
            continue;
        if (token == "APP|all")
            kinds.push_back(ArgumentKind::AppOrAll);
        else if (token == "APP")
            kinds.push_back(ArgumentKind::App);
        else if (token == "MIGRATION_ID")
            kinds.push_back(ArgumentKind::MigrationId);
        else if (token == "COMMAND")
            kinds.push_back(ArgumentKind::Command);
        else if (token == "BACKUP")
            kinds.push_back(ArgumentKind::File);
        else
            kinds.push_back(ArgumentKind::Text);
    }
    return kinds;
}

std::vector<std::string_view> option_values(const OptionSpec& option) {
    // The modes of settings.hpp's parse_foreign_keys; a unit test holds the two together.
    if (option.id == OptionId::ForeignKeys)
        return {"deferred", "immediate", "off"};
    return {};
}

std::string bash_completion() {
    std::string out = "# bash completion for strata; " + std::string(k_generated_note) + ".\n\n";
    out += "_strata_commands=" + sh_quoted(join(all_command_names(), " ")) + "\n\n";

    out += "# The options command $1 takes (global ones for no command).\n"
           "_strata_options() {\n    case $1 in\n";
    for (const CommandSpec& spec : command_specs()) {
        std::vector<std::string> words = option_words(
            [&](const OptionSpec& option) { return takes_option(spec.command, option); });
        out += "    " + join(command_names(spec), "|") + ") echo " + sh_quoted(join(words, " ")) +
               " ;;\n";
    }
    out += "    *) echo " +
           sh_quoted(join(option_words([](const OptionSpec& option) {
                              return option.group == OptionGroup::Global;
                          }),
                          " ")) +
           " ;;\n    esac\n}\n\n";

    out += "# What positional argument $2 (from 0) of command $1 holds.\n"
           "_strata_kind() {\n    local kinds=() repeat=0\n    case $1 in\n";
    for (const CommandSpec& spec : command_specs())
        out += "    " + join(command_names(spec), "|") + ") kinds=(" + join(kind_words(spec), " ") +
               ") repeat=" + (repeats_last(spec) ? "1" : "0") + " ;;\n";
    out += "    esac\n"
           "    local n=$2\n"
           "    ((${#kinds[@]} > 0)) || return\n"
           "    if ((n >= ${#kinds[@]})); then\n"
           "        ((repeat)) || return\n"
           "        n=$((${#kinds[@]} - 1))\n"
           "    fi\n"
           "    echo \"${kinds[n]}\"\n}\n\n";

    out += "_strata_query() {\n" + std::string(k_sh_query) + "}\n\n";

    auto pattern = [](auto wanted) { return join(option_words(wanted), "|"); };
    const std::string context = pattern(is_context_option);
    const std::string values = pattern([](const OptionSpec& option) {
        return !option.value_name.empty() && !is_context_option(option);
    });
    out += "_strata() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
           "    local command='' context=() positionals=() i word words\n"
           "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "        word=${COMP_WORDS[i]}\n"
           "        case $word in\n"
           "        " +
           context +
           ")\n"
           "            context+=(\"$word\" \"${COMP_WORDS[i + 1]}\")\n"
           "            ((i++))\n"
           "            continue ;;\n"
           "        " +
           values +
           ")\n"
           "            ((i++))\n"
           "            continue ;;\n"
           "        -*) continue ;;\n"
           "        esac\n"
           "        if [[ -z $command ]]; then command=$word; else positionals+=(\"$word\"); fi\n"
           "    done\n"
           "    case $prev in\n";
    out += "    " + pattern(takes_file) +
           ")\n        compopt -o filenames 2>/dev/null\n"
           "        COMPREPLY=($(compgen -f -- \"$cur\"))\n        return ;;\n";
    out += "    " + pattern(takes_folder) +
           ")\n        compopt -o filenames 2>/dev/null\n"
           "        COMPREPLY=($(compgen -d -- \"$cur\"))\n        return ;;\n";
    for (const OptionSpec& option : option_specs()) {
        std::vector<std::string_view> accepted = option_values(option);
        if (accepted.empty())
            continue;
        std::vector<std::string> words(accepted.begin(), accepted.end());
        out += "    " + join(spellings(option), "|") + ")\n        COMPREPLY=($(compgen -W " +
               sh_quoted(join(words, " ")) + " -- \"$cur\"))\n        return ;;\n";
    }
    out += "    " + values + ") return ;;\n    esac\n";
    out += "    if [[ $cur == -* ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$(_strata_options \"$command\")\" -- \"$cur\"))\n"
           "        return\n"
           "    fi\n"
           "    if [[ -z $command ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$_strata_commands\" -- \"$cur\"))\n"
           "        return\n"
           "    fi\n"
           "    case $(_strata_kind \"$command\" ${#positionals[@]}) in\n"
           "    app) words=$(_strata_query \"${COMP_WORDS[0]}\" app_name '' \"${context[@]}\") ;;\n"
           "    app-or-all)\n"
           "        words=\"all $(_strata_query \"${COMP_WORDS[0]}\" app_name '' "
           "\"${context[@]}\")\" ;;\n"
           "    migration-id)\n"
           "        local app=${positionals[0]}\n"
           "        [[ $app == all ]] && app=''\n"
           "        words=$(_strata_query \"${COMP_WORDS[0]}\" migration_id \"$app\" "
           "\"${context[@]}\") ;;\n"
           "    command) words=$_strata_commands ;;\n"
           "    file)\n"
           "        compopt -o filenames 2>/dev/null\n"
           "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "        return ;;\n"
           "    *) return ;;\n"
           "    esac\n"
           "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
           "}\n\n"
           "complete -F _strata strata\n";
    return out;
}

std::string zsh_completion() {
    std::string out =
        "#compdef strata\n# zsh completion for strata; " + std::string(k_generated_note) + ".\n\n";

    out += "# The options command $1 takes (global ones for no command), as name:summary.\n"
           "_strata_options() {\n    case $1 in\n";
    auto described = [](auto wanted) {
        std::vector<std::string> lines;
        for (const OptionSpec& option : option_specs())
            if (wanted(option))
                for (const std::string& name : spellings(option))
                    lines.push_back(sh_quoted(name + ":" + std::string(option.summary)));
        return join(lines, " ");
    };
    for (const CommandSpec& spec : command_specs())
        out += "    " + join(command_names(spec), "|") + ") print -rl -- " +
               described(
                   [&](const OptionSpec& option) { return takes_option(spec.command, option); }) +
               " ;;\n";
    out += "    *) print -rl -- " +
           described([](const OptionSpec& option) { return option.group == OptionGroup::Global; }) +
           " ;;\n    esac\n}\n\n";

    out += "# What positional argument $2 (from 1) of command $1 holds.\n"
           "_strata_kind() {\n    local -a kinds\n    local repeat=0\n    case $1 in\n";
    for (const CommandSpec& spec : command_specs())
        out += "    " + join(command_names(spec), "|") + ") kinds=(" + join(kind_words(spec), " ") +
               ") repeat=" + (repeats_last(spec) ? "1" : "0") + " ;;\n";
    out += "    esac\n"
           "    local n=$2\n"
           "    (( ${#kinds} > 0 )) || return\n"
           "    if (( n > ${#kinds} )); then\n"
           "        (( repeat )) || return\n"
           "        n=${#kinds}\n"
           "    fi\n"
           "    print -r -- ${kinds[n]}\n}\n\n";

    out += "_strata_query() {\n" + std::string(k_sh_query) + "}\n\n";

    std::vector<std::string> commands;
    for (const CommandSpec& spec : command_specs())
        for (const std::string& name : command_names(spec))
            commands.push_back(sh_quoted(name + ":" + std::string(spec.summary)));

    auto pattern = [](auto wanted) { return join(option_words(wanted), "|"); };
    const std::string values = pattern([](const OptionSpec& option) {
        return !option.value_name.empty() && !is_context_option(option);
    });
    out += "_strata() {\n"
           "    local -a commands context positionals described found\n"
           "    local command='' word i\n"
           "    commands=(" +
           join(commands, " ") +
           ")\n"
           "    for ((i = 2; i < CURRENT; i++)); do\n"
           "        word=${words[i]}\n"
           "        case $word in\n"
           "        " +
           pattern(is_context_option) +
           ")\n"
           "            context+=(\"$word\" \"${words[i + 1]}\")\n"
           "            ((i++))\n"
           "            continue ;;\n"
           "        " +
           values +
           ")\n"
           "            ((i++))\n"
           "            continue ;;\n"
           "        -*) continue ;;\n"
           "        esac\n"
           "        if [[ -z $command ]]; then command=$word; else positionals+=(\"$word\"); fi\n"
           "    done\n"
           "    case ${words[CURRENT - 1]} in\n"
           "    " +
           pattern(takes_file) +
           ") _files; return ;;\n"
           "    " +
           pattern(takes_folder) + ") _files -/; return ;;\n";
    for (const OptionSpec& option : option_specs()) {
        std::vector<std::string_view> accepted = option_values(option);
        if (accepted.empty())
            continue;
        std::vector<std::string> words(accepted.begin(), accepted.end());
        out += "    " + join(spellings(option), "|") + ") compadd -- " + join(words, " ") +
               "; return ;;\n";
    }
    out += "    " + values + ") return 1 ;;\n    esac\n";
    out += "    if [[ ${words[CURRENT]} == -* ]]; then\n"
           "        described=(\"${(@f)$(_strata_options \"$command\")}\")\n"
           "        _describe -t options option described\n"
           "        return\n"
           "    fi\n"
           "    if [[ -z $command ]]; then\n"
           "        _describe -t commands command commands\n"
           "        return\n"
           "    fi\n"
           "    case $(_strata_kind \"$command\" $(( ${#positionals} + 1 ))) in\n"
           "    app) found=(${(f)\"$(_strata_query \"${words[1]}\" app_name '' "
           "\"${context[@]}\")\"}) ;;\n"
           "    app-or-all) found=(all ${(f)\"$(_strata_query \"${words[1]}\" app_name '' "
           "\"${context[@]}\")\"}) ;;\n"
           "    migration-id)\n"
           "        local app=${positionals[1]}\n"
           "        [[ $app == all ]] && app=''\n"
           "        found=(${(f)\"$(_strata_query \"${words[1]}\" migration_id \"$app\" "
           "\"${context[@]}\")\"}) ;;\n"
           "    command) _describe -t commands command commands; return ;;\n"
           "    file) _files; return ;;\n"
           "    *) return 1 ;;\n"
           "    esac\n"
           "    compadd -- \"${found[@]}\"\n"
           "}\n\n"
           "_strata \"$@\"\n";
    return out;
}

std::string fish_completion() {
    std::string out = "# fish completions for strata; " + std::string(k_generated_note) + ".\n\n";
    auto alternatives = [](auto wanted) {
        std::vector<std::string> words = option_words(wanted);
        return join(words, " ");
    };
    const std::string values = alternatives([](const OptionSpec& option) {
        return !option.value_name.empty() && !is_context_option(option);
    });
    out += "# Reads the line before the cursor into __strata_command, __strata_positionals and\n"
           "# __strata_context (the options that choose the project and the database).\n"
           "function __strata_state\n"
           "    set -l tokens (commandline -opc)\n"
           "    set -e tokens[1]\n"
           "    set -g __strata_command ''\n"
           "    set -g __strata_positionals\n"
           "    set -g __strata_context\n"
           "    while set -q tokens[1]\n"
           "        set -l word $tokens[1]\n"
           "        set -e tokens[1]\n"
           "        switch $word\n"
           "            case " +
           alternatives(is_context_option) +
           "\n"
           "                set -a __strata_context $word $tokens[1]\n"
           "                set -e tokens[1]\n"
           "            case " +
           values +
           "\n"
           "                set -e tokens[1]\n"
           "            case '-*'\n"
           "            case '*'\n"
           "                if test -z \"$__strata_command\"\n"
           "                    set __strata_command $word\n"
           "                else\n"
           "                    set -a __strata_positionals $word\n"
           "                end\n"
           "        end\n"
           "    end\n"
           "end\n\n"
           "function __strata_needs_command\n"
           "    __strata_state\n"
           "    test -z \"$__strata_command\"\n"
           "end\n\n"
           "function __strata_command_is\n"
           "    __strata_state\n"
           "    contains -- \"$__strata_command\" $argv\n"
           "end\n\n"
           "# What the positional argument under the cursor holds.\n"
           "function __strata_kind\n"
           "    __strata_state\n"
           "    set -l kinds\n"
           "    set -l repeat 0\n"
           "    switch \"$__strata_command\"\n";
    for (const CommandSpec& spec : command_specs())
        out += "        case " + join(command_names(spec), " ") + "\n            set kinds " +
               join(kind_words(spec), " ") + "\n            set repeat " +
               (repeats_last(spec) ? "1" : "0") + "\n";
    out += "    end\n"
           "    set -l n (math (count $__strata_positionals) + 1)\n"
           "    test (count $kinds) -gt 0; or return 1\n"
           "    if test $n -gt (count $kinds)\n"
           "        test $repeat = 1; or return 1\n"
           "        set n (count $kinds)\n"
           "    end\n"
           "    echo $kinds[$n]\n"
           "end\n\n"
           "function __strata_kind_is\n"
           "    set -l kind (__strata_kind)\n"
           "    test \"$kind\" = \"$argv[1]\"\n"
           "end\n\n"
           "# The distinct values of $argv[1] that `strata check [APP] --json` prints.\n"
           "function __strata_query\n"
           "    set -l program (commandline -opc)[1]\n"
           "    __strata_state\n"
           "    $program $__strata_context check $argv[2..] --json 2>/dev/null </dev/null |\n"
           "        string match -r -g '\"'$argv[1]'\": *\"([^\"]*)\"' | sort -u\n"
           "end\n\n"
           "function __strata_migration_ids\n"
           "    __strata_state\n"
           "    set -l app $__strata_positionals[1]\n"
           "    test \"$app\" = all; and set app\n"
           "    __strata_query migration_id $app\n"
           "end\n\n"
           "complete -c strata -f\n";
    for (const CommandSpec& spec : command_specs())
        for (const std::string& name : command_names(spec))
            out += "complete -c strata -n __strata_needs_command -a " + name + " -d " +
                   fish_quoted(spec.summary) + "\n";
    for (const OptionSpec& option : option_specs()) {
        std::string line = "complete -c strata";
        if (option.group != OptionGroup::Global) {
            std::vector<std::string> names;
            for (const CommandSpec& spec : command_specs())
                if (takes_option(spec.command, option))
                    for (std::string& name : command_names(spec))
                        names.push_back(std::move(name));
            line += " -n " + fish_quoted("__strata_command_is " + join(names, " "));
        }
        if (option.short_name != '\0')
            line += std::string(" -s ") + option.short_name;
        line += " -l " + std::string(option.long_name);
        if (!option.value_name.empty()) {
            std::vector<std::string_view> accepted = option_values(option);
            if (takes_file(option))
                line += " -r -F";
            else if (takes_folder(option))
                line += " -x -a '(__fish_complete_directories)'";
            else if (!accepted.empty())
                line += " -x -a " +
                        fish_quoted(
                            join(std::vector<std::string>(accepted.begin(), accepted.end()), " "));
            else
                line += " -x";
        }
        out += line + " -d " + fish_quoted(option.summary) + "\n";
    }
    out += "complete -c strata -n '__strata_kind_is app' -a '(__strata_query app_name)'\n"
           "complete -c strata -n '__strata_kind_is app-or-all' -a 'all (__strata_query "
           "app_name)'\n"
           "complete -c strata -n '__strata_kind_is migration-id' -a '(__strata_migration_ids)'\n"
           "complete -c strata -n '__strata_kind_is command' -a " +
           fish_quoted(join(all_command_names(), " ")) +
           "\n"
           "complete -c strata -n '__strata_kind_is file' -F\n";
    return out;
}

namespace {

// Text for groff: backslashes and hyphens escaped, `code` in bold, and a line that would
// start with a control character ('.' or '\'') protected.
std::string roff(std::string_view text) {
    std::string out;
    bool bold = false;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else if (c == '`') {
            out += bold ? "\\fR" : "\\fB";
            bold = !bold;
        } else
            out += c;
    }
    if (bold)
        out += "\\fR";
    if (!out.empty() && (out.front() == '.' || out.front() == '\''))
        out.insert(0, "\\&");
    return out;
}

std::string man_option_label(const OptionSpec& option) {
    std::string label;
    if (option.short_name != '\0')
        label = std::string("\\fB\\-") + option.short_name + "\\fR, ";
    label += "\\fB\\-\\-" + roff(option.long_name) + "\\fR";
    if (!option.value_name.empty())
        label += " \\fI" + roff(option.value_name) + "\\fR";
    return label;
}

// One tagged paragraph per option of `group` that `command` takes; an alias is named in its
// option's paragraph.
std::string man_options(OptionGroup group, Command command) {
    std::string out;
    for (const OptionSpec& option : option_specs()) {
        if (option.group != group || !option.alias_of.empty() || !takes_option(command, option))
            continue;
        std::string text(option.summary);
        for (const OptionSpec& other : option_specs())
            if (other.alias_of == option.long_name && takes_option(command, other))
                text += " (alias --" + std::string(other.long_name) + ")";
        if (!option.details.empty())
            text += "; " + std::string(option.details);
        out += ".TP\n" + man_option_label(option) + "\n" + roff(text) + ".\n";
    }
    return out;
}

std::string man_examples(const std::vector<std::string_view>& examples) {
    std::string out = ".PP\n.RS 4\n.nf\n";
    for (std::string_view example : examples)
        out += roff(example) + "\n";
    return out + ".fi\n.RE\n";
}

} // namespace

std::string man_page(std::string_view version) {
    const ProgramHelp& program = program_help();
    std::string out = ".\\\" " + std::string(k_generated_note) + ".\n";
    out += ".TH STRATA 1 \"\" \"strata " + roff(version) + "\" \"User Commands\"\n";
    out += ".SH NAME\nstrata \\- " + roff(program.summary) + "\n";
    std::string_view usage = program.usage;
    if (usage.starts_with("strata "))
        usage.remove_prefix(7);
    out += ".SH SYNOPSIS\n.B strata\n" + roff(usage) + "\n";
    out += ".SH DESCRIPTION\n"
           "strata applies plain SQL migration files, grouped into apps and listed in "
           "\\fIstrata.toml\\fR, to a SQLite database, each in its own transaction together with "
           "its row in the state table, and reverses them when asked.\n"
           ".PP\n"
           "Global options may come before or after the command. "
           "\\fBstrata help\\fR \\fICOMMAND\\fR shows the same text as this page for one "
           "command.\n";

    out += ".SH COMMANDS\n";
    for (const CommandSpec& spec : command_specs()) {
        std::string title(spec.name);
        if (!spec.alias.empty())
            title += " (alias " + std::string(spec.alias) + ")";
        out += ".SS \"" + roff(title) + "\"\n";
        out += ".B " + roff(spec.usage) + "\n.PP\n" + roff(spec.summary) + ".\n";
        for (std::string_view paragraph : spec.paragraphs)
            out += ".PP\n" + roff(paragraph) + "\n";
        for (const ArgumentHelp& argument : spec.arguments) {
            out += ".PP\n\\fI" + roff(argument.name) + "\\fR is one of:\n";
            for (const ArgumentValue& value : argument.values)
                out += ".TP\n\\fB" + roff(value.value) + "\\fR\n" + roff(value.text) + ".\n";
        }
        std::string options = man_options(OptionGroup::Command, spec.command);
        if (!options.empty())
            out += ".PP\nOptions:\n" + options;
        bool safety = std::any_of(
            option_specs().begin(), option_specs().end(), [&](const OptionSpec& option) {
                return option.group == OptionGroup::Safety && takes_option(spec.command, option);
            });
        if (safety)
            out += ".PP\nIt also takes the options under \\fBSAFETY OPTIONS\\fR.\n";
        if (!spec.examples.empty())
            out += man_examples(spec.examples);
    }

    out += ".SH GLOBAL OPTIONS\n" + man_options(OptionGroup::Global, Command::None);
    out += ".SH SAFETY OPTIONS\n"
           "They override a setting of \\fIstrata.toml\\fR for one run";
    std::vector<std::string> takers;
    for (const CommandSpec& spec : command_specs())
        for (const OptionSpec& option : option_specs())
            if (option.group == OptionGroup::Safety && takes_option(spec.command, option)) {
                takers.push_back("\\fB" + roff(spec.name) + "\\fR");
                break;
            }
    out += " of " + join(takers, ", ") + ".\n";
    for (const OptionSpec& option : option_specs())
        if (option.group == OptionGroup::Safety && option.alias_of.empty())
            out += ".TP\n" + man_option_label(option) + "\n" + roff(option.summary) + ".\n";

    out += ".SH EXIT STATUS\n";
    for (const ExitCodeHelp& exit_code : program.exit_codes)
        out += ".TP\n.B " + std::to_string(exit_code.code) + "\n" + roff(exit_code.text) + ".\n";
    out += ".SH ENVIRONMENT\n"
           ".TP\n.B STRATA_DATABASE\n"
           "The database to migrate, instead of the project file's; \\fB\\-\\-database\\fR "
           "wins.\n"
           ".TP\n.B NO_COLOR\n";
    for (std::string_view note : program.notes)
        out += roff(note) + "\n";
    out += ".SH EXAMPLES\n" + man_examples(program.examples);
    out += ".SH SEE ALSO\n\\fBsqlite3\\fR(1)\n";
    return out;
}

} // namespace strata::cli
