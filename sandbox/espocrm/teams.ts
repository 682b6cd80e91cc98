import { type FakeRequest, type FakeResponse } from '../common/fake-server';

import {
  emptyResponse,
  jsonResponse,
  parseRequestBody,
  statusReasonResponse,
  validationFailureResponse,
} from './espo-http';
import { phpIntval, phpMbStrlen, phpToString, phpTrim, PhpTypeError } from './php-semantics';
import { DEFAULT_MAX_LENGTH } from './settings-validation';

/** Team records and the `/api/v1/Team` list and create actions. */

/** Largest page EspoCRM lists (config recordListMaxSizeLimit), also the default page size. */
export const MAX_LIST_SIZE = 200;

/** A team as `GET /api/v1/Team/:id` returns it. */
export interface TeamRecord {
  id: string;
  name: string;
  deleted: false;
  positionList: string[];
  createdAt: string;
  modifiedAt: string;
  createdById: string | null;
}

export class TeamStore {
  private readonly records: TeamRecord[] = [];

  constructor(
    private readonly now: () => number,
    private readonly nextId: () => string,
  ) {}

  /** Adds a team. Names need not be unique, as in EspoCRM. */
  add(name: string, createdById: string | null): TeamRecord {
    const timestamp = formatEspoDateTime(this.now());
    const team: TeamRecord = {
      id: this.nextId(),
      name,
      deleted: false,
      positionList: [],
      createdAt: timestamp,
      modifiedAt: timestamp,
      createdById,
    };
    this.records.push(team);
    return team;
  }

  all(): TeamRecord[] {
    return this.records.map((team) => ({ ...team }));
  }

  /**
   * Lists teams as EspoCRM's record list action does: `maxSize` (default and maximum 200),
   * `offset` and `select` (or `attributeSelect`) query parameters, ordered by name.
   */
  list(request: FakeRequest): FakeResponse {
    const maxSizeParam = request.query.get('maxSize');
    const offsetParam = request.query.get('offset');
    const maxSize = maxSizeParam === null || maxSizeParam === '' ? MAX_LIST_SIZE : phpIntval(maxSizeParam);
    const offset = offsetParam === null || offsetParam === '' ? 0 : phpIntval(offsetParam);

    if (maxSize > MAX_LIST_SIZE) {
      return statusReasonResponse(403, `Max size should not exceed ${MAX_LIST_SIZE}. Use offset and limit.`);
    }
    // NOTE: 400 for negative values is a guess, not read from EspoCRM's source.
    if (maxSize < 0 || offset < 0) return emptyResponse(400);

    const select = request.query.get('attributeSelect') || request.query.get('select');
    const attributes = select ? select.split(',') : null;
    // Team lists are ordered by name, which MySQL compares without regard to case.
    const sorted = [...this.records].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    const list = sorted.slice(offset, offset + maxSize).map((team) => projectRecord(team, attributes));
    return jsonResponse({ total: this.records.length, list });
  }

  read(id: string): FakeResponse {
    const team = this.records.find((record) => record.id === id);
    return team ? jsonResponse(team) : emptyResponse(404);
  }

  /** Creates a team from a request body. The caller checks create access first. */
  create(request: FakeRequest, createdById: string): FakeResponse {
    const body = parseRequestBody(request);
    if ('response' in body) return body.response;

    // The record service trims strings before validating them.
    const rawName = body.data.get('name');
    const name = typeof rawName === 'string' ? phpTrim(rawName) : rawName;
    if (name === undefined || name === null || name === '') {
      return validationFailureResponse('Team', 'name', 'required');
    }
    try {
      if (phpMbStrlen(name) > DEFAULT_MAX_LENGTH) return validationFailureResponse('Team', 'name', 'maxLength');
    } catch (error) {
      if (error instanceof PhpTypeError) return emptyResponse(500);
      throw error;
    }
    return jsonResponse(this.add(phpToString(name), createdById));
  }
}

/** Returns a record with only the selected attributes. EspoCRM always includes `id`. */
function projectRecord(record: TeamRecord, attributes: string[] | null): Record<string, unknown> {
  if (!attributes) return { ...record };
  const entries = Object.entries(record).filter(([key]) => key === 'id' || attributes.includes(key));
  return Object.fromEntries(entries);
}

/** Formats a time as EspoCRM stores datetimes: "YYYY-MM-DD HH:MM:SS" in UTC. */
function formatEspoDateTime(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 19).replace('T', ' ');
}
